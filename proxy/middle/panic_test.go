package middle

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// panickyObserver panics on the first RPC handshake it is told about, and
// counts the panics recovered.
type panickyObserver struct {
	*recObserver
	armed  atomic.Bool
	panics [recovery.NumWhere]atomic.Int64
}

func (o *panickyObserver) Handshake(ctx context.Context, ev HandshakeEvent) {
	if o.armed.CompareAndSwap(true, false) {
		panic("an observer bug")
	}
	o.recObserver.Handshake(ctx, ev)
}

func (o *panickyObserver) Panicked(w recovery.Where) { o.panics[w].Add(1) }

// A panic in the pool's connection attempt is counted and taken as a
// failed attempt: the pool retries and serves, the process lives on.
func TestPanicInPoolIsContained(t *testing.T) {
	obs := &panickyObserver{recObserver: &recObserver{}}
	obs.armed.Store(true)
	r := newRig(t, rigOpts{opts: func(o *Options) { oneConn(o); o.Observer = obs }})
	echo(t, r.dial(client.Intermediate, 2), 1, 64)
	if n := obs.panics[recovery.Middle].Load(); n != 1 {
		t.Fatalf("%d panics counted in the pool, want 1", n)
	}
	for w := range recovery.NumWhere {
		if n := obs.panics[w].Load(); w != recovery.Middle && n != 0 {
			t.Errorf("%d panics counted at %s", n, w)
		}
	}
}
