package middle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// A client that never reads does not stall the others on its RPC
// connection: its queue fills up to ClientQueueBytes, then it is closed,
// counted as slow, and the middle proxy is told. Memory stays bounded by
// the queue bound, and every pooled buffer comes back.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	const queueBytes = 256 << 10
	const answer = 128 << 10
	r := newRig(t, rigOpts{opts: func(o *Options) {
		oneConn(o)
		o.ClientQueueBytes = queueBytes
		o.ClientWriteTimeout = time.Minute // the bound, not the timeout, closes it
	}})
	slow := r.dial(client.Intermediate, 2)
	echo(t, slow, 0, 64)
	slowID := connIDOf(t, r.mids[0], slow)

	// The others keep exchanging packets while the slow one is flooded.
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	var exchanged atomic.Int64
	for i := range 4 {
		c := r.dial(allModes[i%3], 2)
		wg.Go(func() {
			for k := 0; !stop.Load(); k++ {
				p := encPacket(uint32(i<<16|k), 64+4*(k%50))
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				if err := c.WritePacket(p, false); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				got, err := c.ReadPacket()
				if err != nil || !bytes.Equal(got.Data, p) {
					errs <- fmt.Errorf("client %d: packet %d: %v", i, k, err)
					return
				}
				exchanged.Add(1)
			}
		})
	}

	big := encPacket(0xb16, answer)
	sent := 0
	for ; sent < 2000 && r.m.Stats().SlowClients == 0; sent++ {
		if !r.mids[0].Answer(slowID, big) {
			t.Fatal("the fake does not know the slow client")
		}
		if sent%16 == 15 {
			time.Sleep(time.Millisecond) // let the reader catch up with the fake's writes
		}
	}
	eventually(t, "the slow client counted", 20*time.Second, func() bool { return r.m.Stats().SlowClients == 1 })
	before := exchanged.Load()
	eventually(t, "the others still exchanging", 20*time.Second, func() bool { return exchanged.Load() >= before+20 })
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	st := r.m.Stats()
	t.Logf("%d answers of %d KiB sent to the slow client; queued max %d KiB", sent, answer>>10, st.QueuedBytesMax>>10)
	if st.Responses.Dropped == 0 {
		t.Error("no dropped response counted")
	}
	// The slow client's queue holds at most queueBytes (one bigger packet
	// only when empty); the others hold a few small echoes each.
	if limit := int64(queueBytes + 4*64<<10); st.QueuedBytesMax > limit {
		t.Errorf("queued bytes peaked at %d, want at most %d", st.QueuedBytesMax, limit)
	}
	// The slow client is closed: what it reads now ends, it is not stuck.
	_ = slow.SetDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, slow.NetConn())
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the slow client was not closed (read %d bytes)", n)
	}
	eventually(t, "RPC_CLOSE_CONN for the slow client", 10*time.Second, func() bool {
		for _, id := range r.mids[0].CloseConns() {
			if id == slowID {
				return true
			}
		}
		return false
	})
	eventually(t, "queues and buffers released", 10*time.Second, func() bool {
		st := r.m.Stats()
		return st.QueuedBytes == 0 && st.BuffersInUse == 0 && st.ExtConnections == 4
	})
	r.noViolations()
}

// A single answer larger than ClientQueueBytes still reaches a client that
// keeps up (it is accepted into an empty queue).
func TestAnswerLargerThanQueueBound(t *testing.T) {
	r := newRig(t, rigOpts{opts: func(o *Options) { o.ClientQueueBytes = 4 << 10 }})
	for _, mode := range []client.Mode{client.Abridged, client.Intermediate, client.Padded} {
		c := r.dial(mode, 2)
		echo(t, c, 1, 64<<10)
		echo(t, c, 2, 1044480) // the largest packet a client may send
	}
	if st := r.m.Stats(); st.SlowClients != 0 || st.Responses.Dropped != 0 {
		t.Errorf("slow %d, dropped %d", st.SlowClients, st.Responses.Dropped)
	}
}
