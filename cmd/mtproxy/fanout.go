package main

import (
	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/auto"
)

// probeFanout hands the prober's findings to the metrics and the log.
type probeFanout []dcprobe.Observer

func (f probeFanout) Probed(id int, o dcprobe.Outcome) {
	for _, x := range f {
		x.Probed(id, o)
	}
}

func (f probeFanout) StateChanged(id int, up bool, h dcprobe.Health) {
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

// pathFanout hands MODE=auto's path switches to the log and the metrics.
type pathFanout []auto.Observer

func (f pathFanout) PathSwitched(ev auto.SwitchEvent) {
	for _, o := range f {
		o.PathSwitched(ev)
	}
}
