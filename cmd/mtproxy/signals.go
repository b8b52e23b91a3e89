package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

// signals are the process's signals, caught from the first moment of
// serve, before any slow start-up work (IP look-ups, Telegram's files):
// until then the Go runtime's default would let a SIGHUP kill the process
// with status 129, which the systemd unit does not restart.
type signals struct {
	ch   chan os.Signal
	stop func()
}

func catchSignals() *signals {
	s := &signals{ch: make(chan os.Signal, 4)}
	signal.Notify(s.ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	s.stop = func() { signal.Stop(s.ch) }
	return s
}

// startup watches the signals while start-up runs. A SIGTERM or SIGINT
// cancels the start-up's context (cancel) and is remembered; a SIGHUP is
// remembered, to refresh Telegram's files once the proxy runs. end stops
// the watch and returns what arrived.
func (s *signals) startup(cancel context.CancelFunc, log *zap.Logger) (end func() (hup bool, stop os.Signal)) {
	quit := make(chan struct{})
	type result struct {
		hup  bool
		stop os.Signal
	}
	out := make(chan result, 1)
	go func() {
		var r result
		defer func() { out <- r }()
		for {
			select {
			case <-quit:
				return
			case sig := <-s.ch:
				if sig == syscall.SIGHUP {
					log.Info("SIGHUP during start-up: Telegram's files are refreshed once the proxy runs")
					r.hup = true
					continue
				}
				log.Info("signal during start-up: stopping", zap.Stringer("signal", sig))
				if r.stop == nil {
					r.stop = sig
				}
				cancel()
			}
		}
	}()
	return func() (bool, os.Signal) {
		close(quit)
		r := <-out
		return r.hup, r.stop
	}
}
