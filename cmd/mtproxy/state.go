package main

import (
	"context"

	"github.com/mtproxy/mtproxy/state/redisstate"
	"go.uber.org/zap"
)

// sharedState is the fleet's shared store (STATE_URL) and its loop.
type sharedState struct {
	store *redisstate.Store
	stop  context.CancelFunc
	done  chan struct{}
}

// newState connects the shared store when STATE_URL is set; nil without
// it. A store that does not answer yet is no reason not to start: clients
// are served on local state until it does.
func (a *app) newState() (*sharedState, error) {
	cfg := a.cfg
	if cfg.StateURL == "" {
		return nil, nil
	}
	c, err := redisstate.ParseURL(cfg.StateURL)
	if err != nil {
		return nil, err // checked with the configuration already
	}
	if cfg.StatePassword != "" {
		c.Redis.Password = cfg.StatePassword
	}
	log := a.log.Named("state")
	redisstate.RouteClientLogs(a.log.Named("redis"))
	s := redisstate.New(c, redisstate.Options{Timeout: cfg.StateTimeout, Observer: a.metrics, Logger: log})
	a.metrics.SetState(s)
	url := zap.String("url", redisstate.Redacted(cfg.StateURL))
	if err := s.Ping(); err != nil {
		log.Warn("the shared state store does not answer yet; clients are served on local state until it does",
			url, zap.String("replica", s.Replica()), zap.Error(err))
	} else {
		log.Info("shared state store", url, zap.String("replica", s.Replica()), zap.Duration("timeout", cfg.StateTimeout))
	}
	return &sharedState{store: s}, nil
}

// run starts the store's heartbeat, flushes and probe.
func (s *sharedState) run() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		s.store.Run(ctx)
	}()
}

// close flushes once more, leaves the fleet and closes the client. It
// runs after the connections drained, so their last bytes are counted.
func (s *sharedState) close() {
	if s == nil {
		return
	}
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	_ = s.store.Close()
}
