package middle

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/users"
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

// panickyUsers admits as Users does, with leases that panic at their first
// count of bytes written to a client once armed: in middle mode those are
// written by the client's writer goroutine.
type panickyUsers struct {
	proxy.Users
	armed atomic.Bool
}

func (u *panickyUsers) Admit(s proxy.KeySnapshot, i int, remote netip.Addr) (proxy.Lease, bool) {
	l, ok := u.Users.Admit(s, i, remote)
	if !ok {
		return l, false
	}
	return panickyLease{l, u}, true
}

type panickyLease struct {
	proxy.Lease
	u *panickyUsers
}

func (l panickyLease) Account(in, out int) (time.Duration, bool) {
	if out > 0 && l.u.armed.CompareAndSwap(true, false) {
		panic("a lease bug")
	}
	return l.Lease.Account(in, out)
}

// A panic in a client's writer goroutine (which runs only while answers
// are queued) closes that client only: it is counted at recovery.Conn, the
// answer it was writing goes back to the pool and out of the queued bytes
// the memory budget counts, the client's session ends (it waits for its
// writer, which must not count as running after the panic), and the other
// clients are served.
func TestPanicInClientWriterClosesOnlyThatClient(t *testing.T) {
	reg := users.New(users.Options{})
	pu := &panickyUsers{}
	obs := &panickyObserver{recObserver: &recObserver{}}
	r := newRig(t, rigOpts{
		opts: func(o *Options) { oneConn(o); o.Observer = obs },
		setup: func(r *rig, _ *Options) {
			if err := reg.Apply([]users.Spec{{Name: "u", Key: r.key, Enabled: true}}); err != nil {
				t.Fatal(err)
			}
			pu.Users = reg.Engine()
		},
		engine: func(o *proxy.Options) { o.Secrets, o.Users = nil, pu },
	})
	good := r.dial(client.Intermediate, 2)
	echo(t, good, 1, 64)

	bad := r.dial(client.Intermediate, 2)
	pu.armed.Store(true)
	if err := bad.WritePacket(encPacket(2, 64), false); err != nil {
		t.Fatal(err)
	}
	// The answer may arrive (the lease counts a write once it is done);
	// then the connection must close.
	_ = bad.SetDeadline(time.Now().Add(20 * time.Second))
	for {
		_, err := bad.ReadPacket()
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the client whose writer panicked was not closed")
		}
		if err != nil {
			break
		}
	}
	eventually(t, "the panic counted, the session ended, the answer's buffer released", 20*time.Second, func() bool {
		s := r.m.Stats()
		return obs.panics[recovery.Conn].Load() == 1 && s.ExtConnections == 1 && s.QueuedBytes == 0 &&
			s.BuffersInUse == 0 && r.px.ActiveConnections() == 1
	})
	echo(t, good, 3, 64)
	echo(t, r.dial(client.Intermediate, 2), 4, 64)
	for w := range recovery.NumWhere {
		if n := obs.panics[w].Load(); w != recovery.Conn && n != 0 {
			t.Errorf("%d panics counted at %s", n, w)
		}
	}
}
