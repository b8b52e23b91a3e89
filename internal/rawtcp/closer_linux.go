//go:build linux

package rawtcp

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// closeBatchDelay is how long a closed connection's descriptor waits for
// its batch. The FIN has gone already; the descriptor stays this long
// more, so a busy listener holds about rate × delay extra descriptors
// (70 at 7,000 connections a second).
const closeBatchDelay = 10 * time.Millisecond

// closeBatchMax closes a batch at once when it reaches this size, which
// bounds the descriptors held however fast connections end.
const closeBatchMax = 256

// closer closes descriptors in batches. It runs no goroutine of its own
// while it has nothing to close: a timer's goroutine runs each batch.
// It also lends the Ops that a listener's connections read and write
// with.
type closer struct {
	ops   rawio.Pool
	mu    sync.Mutex
	queue []*os.File
	timer *time.Timer  // armed while queue is not empty
	done  atomic.Int64 // descriptors closed
}

// add queues f for the next batch.
func (cl *closer) add(f *os.File) {
	cl.mu.Lock()
	cl.queue = append(cl.queue, f)
	switch {
	case len(cl.queue) >= closeBatchMax:
		batch := cl.take()
		cl.mu.Unlock()
		go cl.closeAll(batch)
		return
	case cl.timer == nil:
		cl.timer = time.AfterFunc(closeBatchDelay, cl.flush)
	case len(cl.queue) == 1:
		cl.timer.Reset(closeBatchDelay)
	}
	cl.mu.Unlock()
}

// take empties the queue and stops the timer; cl.mu is held.
func (cl *closer) take() []*os.File {
	batch := cl.queue
	cl.queue = nil
	if cl.timer != nil {
		cl.timer.Stop()
	}
	return batch
}

func (cl *closer) flush() {
	cl.mu.Lock()
	batch := cl.take()
	cl.mu.Unlock()
	cl.closeAll(batch)
}

func (cl *closer) closeAll(batch []*os.File) {
	for _, f := range batch {
		_ = f.Close()
	}
	cl.done.Add(int64(len(batch)))
}
