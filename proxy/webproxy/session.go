package webproxy

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// session is one page's carrier: its streams, its budget, and the state
// of its carrier mode. mu guards everything below it and the streams'
// state.
type session struct {
	c             *Carrier
	token         string
	mode          Mode
	secret        capEntry // the secret the streams are locked to
	remote, local netip.AddrPort
	portBase      uint16 // see streamAddr
	log           *zap.Logger
	budget        *budget
	ctx           context.Context
	cancel        context.CancelFunc
	lastSeen      atomic.Int64 // unix nanoseconds of the last request or message
	idle          *time.Timer

	// upMu serialises the up sequence (one up request in flight).
	upMu   sync.Mutex
	upSeq  uint64
	upHash [32]byte

	mu      sync.Mutex
	ended   bool
	streams map[uint32]*stream
	tomb    tombstones[uint32]
	dirty   []*stream // streams that may have something to send
	refused []uint32  // OPENs refused: a CLOSE each
	ready   chan struct{}
	down    downState // https mode
	ws      *websocket.Conn
	wsUsed  bool
}

// touch records activity, which keeps the session from its idle end.
func (s *session) touch() { s.lastSeen.Store(s.c.o.Now().UnixNano()) }

// newIdleTimer makes the (unarmed) timer that ends the session when no
// request touched it for IdleTimeout; watchIdle arms it.
func (s *session) newIdleTimer() {
	idle := s.c.o.IdleTimeout
	s.idle = time.AfterFunc(time.Duration(1<<63-1), func() {
		since := s.c.o.Now().Sub(time.Unix(0, s.lastSeen.Load()))
		if since < idle {
			s.idle.Reset(idle - since)
			return
		}
		s.end("idle")
	})
}

// watchIdle arms the idle timer.
func (s *session) watchIdle() { s.idle.Reset(s.c.o.IdleTimeout) }

// markDirty lists st for the next batch and wakes the batch's waiter.
// Called with s.mu held.
func (s *session) markDirty(st *stream) {
	if !st.inDirty {
		st.inDirty = true
		s.dirty = append(s.dirty, st)
	}
	s.notify()
}

// notify wakes whoever waits for something to send. Called with s.mu held.
func (s *session) notify() {
	if s.ready != nil {
		close(s.ready)
		s.ready = nil
	}
}

// readyCh returns a channel closed when there may be something to send or
// the session ends. Called with s.mu held.
func (s *session) readyCh() <-chan struct{} {
	if s.ready == nil {
		s.ready = make(chan struct{})
	}
	return s.ready
}

// hasOutput reports whether a batch would carry something. Called with
// s.mu held.
func (s *session) hasOutput() bool { return len(s.dirty) > 0 || len(s.refused) > 0 }

// removeStream forgets st after a CLOSE either way: its id becomes a
// tombstone, late frames for it are ignored. Called with s.mu held.
func (s *session) removeStream(st *stream) {
	st.aborted = true
	st.wake()
	if s.streams[st.id] == st {
		delete(s.streams, st.id)
		s.tomb.add(st.id)
	}
}

// end closes the session and every stream, gives its bytes back and
// forgets it. It is idempotent.
func (s *session) end(why string) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	for _, st := range s.streams {
		st.up.reset(s.c.chunks)
		st.down.reset(s.c.chunks)
		s.removeStream(st)
	}
	s.dirty, s.refused = nil, nil
	s.down.drop(s.c)
	s.notify()
	ws := s.ws
	s.mu.Unlock()

	s.budget.drain()
	s.cancel()
	s.idle.Stop()
	if ws != nil {
		_ = ws.CloseNow()
	}
	s.c.forget(s)
	s.c.o.Observer.SessionClosed()
	s.log.Debug("web proxy session ended", zap.String("why", why))
}

// isEnded reports whether the session is over.
func (s *session) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// tombstones remembers the last max keys added, oldest out first.
type tombstones[K comparable] struct {
	max  int
	ring []K
	next int
	set  map[K]struct{}
}

func newTombstones[K comparable](max int) tombstones[K] {
	return tombstones[K]{max: max, set: map[K]struct{}{}}
}

func (t *tombstones[K]) add(k K) {
	if _, ok := t.set[k]; ok {
		return
	}
	if len(t.ring) < t.max {
		t.ring = append(t.ring, k)
	} else {
		delete(t.set, t.ring[t.next])
		t.ring[t.next] = k
		t.next = (t.next + 1) % len(t.ring)
	}
	t.set[k] = struct{}{}
}

func (t *tombstones[K]) has(k K) bool {
	_, ok := t.set[k]
	return ok
}
