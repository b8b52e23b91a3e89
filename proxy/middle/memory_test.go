package middle

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// sharedTraffic is an engine observer adding every client's traffic to one
// counter, so a test can wait for the proxy to have read what was sent.
type sharedTraffic struct {
	proxy.NopObserver
	t proxy.Traffic
}

func (o *sharedTraffic) Traffic(int, int) *proxy.Traffic { return &o.t }

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Hundreds of authenticated clients that send only the 4-byte header of a
// maximal packet and then nothing: the proxy must not allocate the packet
// before its bytes arrive (it did, about 1 MiB each).
func TestHeaderOnlyClientsHoldLittle(t *testing.T) {
	obs := &sharedTraffic{}
	r := newRig(t, rigOpts{engine: func(o *proxy.Options) { o.Observer = obs }})
	echo(t, r.dial(client.Intermediate, 2), 1, 64) // pools, RPC connections, warm

	const n = 300
	conns := make([]*client.Conn, n)
	for i := range conns {
		conns[i] = r.dial(client.Intermediate, 2)
	}
	eventually(t, "the clients multiplexed", 20*time.Second, func() bool { return r.m.Stats().ExtConnections >= n })
	read := obs.t.FromClient.Load()
	before := heapAlloc()

	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], rpc.MaxClientPacket)
	for _, c := range conns {
		if _, err := c.Raw().Write(hdr[:]); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the proxy read every header", 20*time.Second, func() bool {
		return obs.t.FromClient.Load() >= read+4*n
	})
	after := heapAlloc()
	per := (int64(after) - int64(before)) / n
	t.Logf("heap growth per header-only client: %d bytes (%d clients)", per, n)
	if per > 8<<10 {
		t.Fatalf("each header-only client grew the heap by %d bytes", per)
	}
	runtime.KeepAlive(conns)
}

// partial sends the header of an n-byte packet and its first k bytes.
func partial(t *testing.T, c *client.Conn, n, k int) {
	t.Helper()
	b := make([]byte, 4+k)
	binary.LittleEndian.PutUint32(b, uint32(n))
	b[4] = 0xaa // a non-zero auth_key_id: an encrypted packet
	if _, err := c.Raw().Write(b); err != nil {
		t.Fatal(err)
	}
}

// Over MemoryBudget, a client needing memory for its packet sheds the one
// that has held a grown buffer longest (a trickler), counted; the others,
// including a later trickler, are untouched. The budget fits both
// tricklers' 256 KiB buffers, or one of them and the fast client's 512 KiB
// one (buffers grow by doubling, the old one held while the new fills).
func TestMemoryBudgetShedsOldestPartialPacket(t *testing.T) {
	const budget = 1100 << 10
	r := newRig(t, rigOpts{opts: func(o *Options) { o.MemoryBudget = budget }})
	first := r.dial(client.Intermediate, 2)
	echo(t, first, 1, 64)
	second := r.dial(client.Intermediate, 2)
	echo(t, second, 2, 64)
	fast := r.dial(client.Intermediate, 2)
	echo(t, fast, 3, 64)

	// Two tricklers each hold a 256 KiB buffer for a packet never finished.
	partial(t, first, 400<<10, 200<<10)
	eventually(t, "the first partial packet buffered", 20*time.Second, func() bool { return r.m.Stats().UploadBytes >= 256<<10 })
	partial(t, second, 400<<10, 200<<10)
	eventually(t, "the second partial packet buffered", 20*time.Second, func() bool { return r.m.Stats().UploadBytes >= 512<<10 })
	if st := r.m.Stats(); st.BudgetShed != 0 {
		t.Fatalf("shed %d within the budget", st.BudgetShed)
	}

	// A whole 300 KiB packet from a third client goes through, at the
	// first trickler's expense.
	echo(t, fast, 4, 300<<10)
	expectClosed(t, first)
	if st := r.m.Stats(); st.BudgetShed != 1 {
		t.Fatalf("shed %d, want 1", st.BudgetShed)
	}
	eventually(t, "the fast client's buffer returned", 20*time.Second, func() bool {
		return r.m.Stats().UploadBytes < 300<<10
	})
	// The second trickler still completes its packet.
	rest := make([]byte, 200<<10)
	if _, err := second.Raw().Write(rest); err != nil {
		t.Fatal(err)
	}
	_ = second.SetDeadline(time.Now().Add(20 * time.Second))
	if p, err := second.ReadPacket(); err != nil || len(p.Data) != 400<<10 {
		t.Fatalf("the second trickler's packet: %d bytes, %v; %+v", len(p.Data), err, r.m.Stats())
	}
	eventually(t, "the upload buffers back to the base size", 20*time.Second, func() bool {
		return r.m.Stats().UploadBytes <= 3*1024
	})
}

// Over MemoryBudget, answers for a client that is behind (its queue not
// empty) shed it, counted apart from the per-client queue bound; a client
// that keeps up still gets its answers.
func TestMemoryBudgetShedsClientBehind(t *testing.T) {
	const budget = 1 << 20
	r := newRig(t, rigOpts{opts: func(o *Options) {
		oneConn(o)
		o.MemoryBudget = budget
		o.ClientQueueBytes = 64 << 20 // far above: the budget decides
		o.ClientWriteTimeout = time.Minute
	}})
	slow := r.dial(client.Intermediate, 2)
	echo(t, slow, 0, 64)
	slowID := connIDOf(t, r.mids[0], slow)
	ok := r.dial(client.Intermediate, 2)

	big := encPacket(0xb16, 128<<10)
	for sent := 0; sent < 1000 && r.m.Stats().BudgetShed == 0; sent++ {
		if !r.mids[0].Answer(slowID, big) {
			break // the fake already forgot the shed client
		}
	}
	eventually(t, "the client behind shed", 20*time.Second, func() bool { return r.m.Stats().BudgetShed == 1 })
	if st := r.m.Stats(); st.SlowClients != 0 {
		t.Fatalf("counted as queue overflow too: %+v", st.SlowClients)
	}
	echo(t, ok, 1, 64)
	eventually(t, "the queues drained", 20*time.Second, func() bool { return r.m.Stats().QueuedBytes == 0 })
}

// Idle clients hold no packet buffer: once a client's packet is forwarded
// and nothing more has arrived, its reader gives the buffer back and waits
// for the socket's readability without one (each held 1 KiB).
func TestIdleClientsHoldNoUploadBuffer(t *testing.T) {
	r := newRig(t, rigOpts{})
	const n = 50
	conns := make([]*client.Conn, n)
	for i := range conns {
		conns[i] = r.dial(client.Intermediate, 2)
		echo(t, conns[i], uint32(i+1), 64)
	}
	eventually(t, "no upload buffer held by idle clients", 20*time.Second, func() bool {
		return r.m.Stats().UploadBytes == 0
	})
	runtime.KeepAlive(conns)
}
