package webproxy

import (
	"net"
	"os"
	"time"
)

// stream is one carried stream. It is the net.Conn the engine serves:
// Read takes the client's DATA from the up queue, Write fills the down
// queue the session's batches take DATA from. Every field below id is
// guarded by the session's lock; rsig and wsig wake the engine's reader
// and writer (one goroutine each, as the relay has).
type stream struct {
	id uint32
	s  *session

	up, down   byteQueue
	recvWindow int64  // bytes the client may still send
	consumed   int64  // bytes the engine read since the last grant
	grant      uint32 // credit owed to the client in a WINDOW
	sendWindow int64  // the client's credit for our DATA
	eof        bool   // the engine writes no more: CLOSE once down drains
	engineDone bool   // the engine closed its end
	aborted    bool   // CLOSE sent or received, or the session ended
	inDirty    bool   // listed in the session's dirty list
	rdl, wdl   time.Time

	rsig, wsig chan struct{}
}

func newStream(s *session, id uint32, window int64) *stream {
	return &stream{
		id: id, s: s, recvWindow: window, sendWindow: window,
		rsig: make(chan struct{}, 1), wsig: make(chan struct{}, 1),
	}
}

// signal wakes a waiter of ch without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (st *stream) wake() {
	signal(st.rsig)
	signal(st.wsig)
}

// Read returns the client's bytes in order.
func (st *stream) Read(p []byte) (int, error) {
	s := st.s
	for {
		s.mu.Lock()
		if st.aborted || st.engineDone {
			s.mu.Unlock()
			return 0, net.ErrClosed
		}
		if st.up.len() > 0 && len(p) > 0 {
			n := st.up.read(s.c.chunks, p)
			st.consumed += int64(n)
			if st.consumed >= int64(s.c.o.WindowGrant) {
				// The bytes reached the engine: give the credit back.
				st.grant += uint32(st.consumed)
				st.recvWindow += st.consumed
				st.consumed = 0
				s.markDirty(st)
			}
			s.mu.Unlock()
			s.budget.give(int64(n))
			return n, nil
		}
		dl := st.rdl
		s.mu.Unlock()
		if err := waitFor(st.rsig, nil, dl); err != nil {
			return 0, err
		}
	}
}

// WaitReadable blocks until Read would not block: the client's bytes are
// queued, or the stream ended (Read reports it), or the read deadline
// passed. The engine's relay waits so (proxy.ReadableWaiter) instead of
// holding a buffer in a blocked Read while the stream idles.
func (st *stream) WaitReadable() error {
	s := st.s
	for {
		s.mu.Lock()
		ready := st.aborted || st.engineDone || st.up.len() > 0
		dl := st.rdl
		s.mu.Unlock()
		if ready {
			return nil
		}
		if err := waitFor(st.rsig, nil, dl); err != nil {
			return err
		}
	}
}

// Write queues p towards the client, waiting while the stream's buffer or
// the session's or carrier's budget is full.
func (st *stream) Write(p []byte) (int, error) {
	s := st.s
	written := 0
	for len(p) > 0 {
		s.mu.Lock()
		if st.aborted || st.engineDone || st.eof {
			s.mu.Unlock()
			return written, net.ErrClosed
		}
		var full <-chan struct{}
		if room := s.c.o.StreamBuffer - st.down.len(); room > 0 {
			var n int64
			n, full, _ = s.budget.reserve(int64(min(room, len(p))), true)
			if n > 0 {
				st.down.write(s.c.chunks, p[:n])
				s.markDirty(st)
				s.mu.Unlock()
				written += int(n)
				p = p[n:]
				continue
			}
		}
		dl := st.wdl
		s.mu.Unlock()
		if err := waitFor(st.wsig, full, dl); err != nil {
			return written, err
		}
	}
	return written, nil
}

// waitFor waits for sig or other (nil: none) until the deadline dl.
func waitFor(sig chan struct{}, other <-chan struct{}, dl time.Time) error {
	if dl.IsZero() {
		select {
		case <-sig:
		case <-other:
		}
		return nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-sig:
	case <-other:
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
	return nil
}

// CloseWrite ends the engine's side: the client gets CLOSE (an abort: the
// protocol has no half-close) once the queued bytes are delivered.
func (st *stream) CloseWrite() error {
	s := st.s
	s.mu.Lock()
	if !st.eof {
		st.eof = true
		s.markDirty(st)
	}
	s.mu.Unlock()
	st.wake()
	return nil
}

// Close ends the engine's use of the stream. Bytes it queued still go out,
// then CLOSE; what the client sent and the engine did not read is dropped.
func (st *stream) Close() error {
	s := st.s
	s.mu.Lock()
	dropped := 0
	if !st.engineDone {
		st.engineDone, st.eof = true, true
		dropped = st.up.reset(s.c.chunks)
		s.markDirty(st)
	}
	s.mu.Unlock()
	s.budget.give(int64(dropped))
	st.wake()
	return nil
}

func (st *stream) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(st.s.local) }
func (st *stream) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(st.s.remote) }

func (st *stream) SetDeadline(t time.Time) error {
	_ = st.SetReadDeadline(t)
	return st.SetWriteDeadline(t)
}

func (st *stream) SetReadDeadline(t time.Time) error {
	st.s.mu.Lock()
	st.rdl = t
	st.s.mu.Unlock()
	signal(st.rsig)
	return nil
}

func (st *stream) SetWriteDeadline(t time.Time) error {
	st.s.mu.Lock()
	st.wdl = t
	st.s.mu.Unlock()
	signal(st.wsig)
	return nil
}
