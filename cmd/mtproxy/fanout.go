package main

import (
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/proxy/clockskew"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// probeFanout hands the prober's findings to the metrics and the log.
type probeFanout []dc.ProbeObserver

func (f probeFanout) Probed(id int, addr netip.AddrPort, res dc.Result, took time.Duration) {
	for _, o := range f {
		o.Probed(id, addr, res, took)
	}
}

func (f probeFanout) StateChanged(id int, up bool, h dc.Health) {
	for _, o := range f {
		o.StateChanged(id, up, h)
	}
}

// skewFanout hands clock-skew measurements to the metrics and the log.
type skewFanout []clockskew.Observer

func (f skewFanout) SkewMeasured(s clockskew.Sample) {
	for _, o := range f {
		o.SkewMeasured(s)
	}
}

func (f skewFanout) SkewFailed(src clockskew.Source, server string, err error) {
	for _, o := range f {
		o.SkewFailed(src, server, err)
	}
}
