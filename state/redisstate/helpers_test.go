package redisstate

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/mtproxy/mtproxy/testkit/redisserver"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"
)

// recorder is an Observer that counts calls, errors and fallbacks by op.
type recorder struct {
	mu        sync.Mutex
	calls     [state.NumOps]int
	errors    [state.NumOps]int
	fallbacks [state.NumOps]int
}

func (r *recorder) StateCall(op state.Op, _ time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[op]++
	if err != nil {
		r.errors[op]++
	}
}

func (r *recorder) StateFallback(op state.Op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallbacks[op]++
}

func (r *recorder) get(op state.Op) (calls, errs, fallbacks int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[op], r.errors[op], r.fallbacks[op]
}

// newStore returns a store on srv's URL with the test's options; it is
// closed at the end of the test.
func newStore(t *testing.T, srv *redisserver.Server, o Options) (*Store, *recorder) {
	t.Helper()
	c, err := ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if srv.CAPEM() != nil {
		c, err = ParseURL(srv.URL() + "?ca_file=" + srv.CAFile())
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	o.Observer = rec
	o.Logger = zaptest.NewLogger(t)
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second // a loaded machine; tests of the bound set their own
	}
	s := New(c, o)
	t.Cleanup(func() { _ = s.Close() })
	return s, rec
}

// run starts the store's loop until the end of the test.
func run(t *testing.T, s *Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// direct returns a plain client of srv, to look at the keys.
func direct(t *testing.T, srv *redisserver.Server) *redis.Client {
	t.Helper()
	c, err := ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if srv.CAPEM() != nil {
		if c, err = ParseURL(srv.URL() + "?ca_file=" + srv.CAFile()); err != nil {
			t.Fatal(err)
		}
	}
	rdb := redis.NewClient(c.Redis)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// eventually polls cond until it holds, failing after a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
