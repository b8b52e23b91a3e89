package main

import (
	"strconv"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"go.uber.org/zap"
)

// probeLog logs DC state changes found by the prober, a DC going down
// with the reason ("TCP connects but the peer is not Telegram: it
// answered HTTP").
type probeLog struct {
	log *zap.Logger
}

func (p *probeLog) Probed(int, dcprobe.Outcome) {}

func (p *probeLog) StateChanged(id int, up bool, h dcprobe.Health) {
	if up {
		p.log.Info("DC answers", zap.Int("dc", id), zap.Duration("rtt", h.RTT), zap.Duration("connect", h.ConnectTime),
			zap.Int("answered", h.Answered), zap.Int("addrs", h.Addrs))
		return
	}
	r := h.Reason
	p.log.Warn("DC does not answer", zap.Int("dc", id), zap.Int("addrs", h.Addrs), zap.Stringer("result", r.Result),
		zap.String("reason", r.Describe()), zap.Stringer("addr", r.Addr), zap.NamedError("cause", r.Err))
}

// skewLog logs clock skew: a warning above 2 s, an error above 5 s, since
// FakeTLS clients and middle proxies reject skewed clocks.
type skewLog struct {
	log  *zap.Logger
	opts clockskew.Options
}

func (s *skewLog) SkewMeasured(x clockskew.Sample) {
	f := []zap.Field{zap.String("source", string(x.Source)), zap.String("server", x.Server),
		zap.Duration("offset", x.Offset), zap.Duration("uncertainty", x.Uncertainty)}
	switch clockskew.Classify(x.Offset, s.opts) {
	case clockskew.Critical:
		s.log.Error("clock is off UTC: clients and middle proxies will refuse connections; run a time daemon", f...)
	case clockskew.Warning:
		s.log.Warn("clock is drifting off UTC", f...)
	default:
		s.log.Debug("clock skew measured", f...)
	}
}

func (s *skewLog) SkewFailed(src clockskew.Source, server string, err error) {
	s.log.Debug("clock skew check failed", zap.String("source", string(src)), zap.String("server", server), zap.Error(err))
}

// pathLog logs each switch of a DC's path in MODE=auto, once: a warning
// when a DC goes direct (what its clients lose), info when it comes back.
// The DC is in the message too: the sampler limits repeats of one message
// per second, and a round of switches moves a dozen DCs at once, each of
// which must be logged.
type pathLog struct {
	log *zap.Logger
}

func (p *pathLog) PathSwitched(ev auto.SwitchEvent) {
	dcField, name := zap.Int("dc", ev.DC), "DC "+strconv.Itoa(ev.DC)
	if ev.Other {
		dcField, name = zap.String("dc", "other"), "other DCs"
	}
	if ev.To == auto.PathDirect {
		p.log.Warn(name+" switched to direct: no ready connection to its middle proxies; "+
			"new clients go straight to the DC, where media of accounts without Premium does not load",
			dcField, zap.Duration("down_for", ev.Down), zap.Stringer("reason", ev.Reason))
		return
	}
	p.log.Info(name+" switched to the middle proxies: new clients go through them",
		dcField, zap.Duration("direct_for", ev.Direct), zap.Stringer("reason", ev.Reason))
}
