package webproxy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"go.uber.org/zap"
)

// Errors of the client's frames that are not the codec's. Each one ends
// the session.
var (
	errProtocol = errors.New("webproxy: protocol error")
	// errNoRoom: the body's DATA does not fit the budgets now; nothing of
	// it was applied.
	errNoRoom = errors.New("webproxy: no room for the body's data")
	// errEnded: the session ended meanwhile.
	errEnded = errors.New("webproxy: session ended")
)

// receive validates a body of client frames and applies it. With wait it
// waits for budget room (a WebSocket stops being read); without, it
// returns errNoRoom and applies nothing (an up request gets 503).
func (c *Carrier) receive(s *session, b []byte, wait bool) error {
	if _, err := wire.CheckBatch(b, wire.FromClient); err != nil {
		return err
	}
	need := dataBytes(b)
	for need > 0 {
		got, ch, short := s.budget.reserve(need, false)
		if got == need {
			break
		}
		if short == s.budget {
			c.o.Observer.LimitHit(LimitSessionPending)
		} else {
			c.o.Observer.LimitHit(LimitPending)
		}
		if !wait {
			return errNoRoom
		}
		select {
		case <-ch:
		case <-s.ctx.Done():
			return errEnded
		}
	}
	used, err := s.apply(b)
	s.budget.give(need - used)
	return err
}

// dataBytes adds up the DATA payloads of a validated body.
func dataBytes(b []byte) int64 {
	var n int64
	for len(b) > 0 {
		f, used, _ := wire.Parse(b, wire.FromClient)
		if f.Type == wire.TypeData {
			n += int64(len(f.Payload))
		}
		b = b[used:]
	}
	return n
}

// apply applies a validated body's frames in order. It returns the DATA
// bytes it queued (dropped ones, for closed streams, are not) and the
// protocol error that must end the session, if any.
func (s *session) apply(b []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return 0, errEnded
	}
	var used int64
	for len(b) > 0 {
		f, n, err := wire.Parse(b, wire.FromClient)
		if err != nil {
			return used, err
		}
		b = b[n:]
		q, err := s.applyFrame(f)
		used += q
		if err != nil {
			return used, err
		}
	}
	return used, nil
}

// applyFrame applies one frame; called with s.mu held.
func (s *session) applyFrame(f wire.Frame) (int64, error) {
	if f.Type == wire.TypeOpen {
		return 0, s.open(f.Stream)
	}
	switch f.Type {
	case wire.TypePong:
		return 0, nil // no PING is ever sent (v1): nothing to match
	case wire.TypeHello:
		return 0, fmt.Errorf("%w: HELLO inside a session", errProtocol)
	}
	st := s.streams[f.Stream]
	if st == nil {
		if s.tomb.has(f.Stream) {
			return 0, nil // a late frame for a closed stream
		}
		return 0, fmt.Errorf("%w: %s for stream %d, never opened", errProtocol, f.Type, f.Stream)
	}
	switch f.Type {
	case wire.TypeData:
		n := int64(len(f.Payload))
		if n > st.recvWindow {
			return 0, fmt.Errorf("%w: stream %d sent %d bytes over a window of %d", errProtocol, f.Stream, n, st.recvWindow)
		}
		st.recvWindow -= n
		if st.engineDone {
			return 0, nil // the engine is gone; CLOSE is on its way
		}
		st.up.write(s.c.chunks, f.Payload)
		signal(st.rsig)
		return n, nil
	case wire.TypeWindow:
		st.sendWindow += int64(f.Window())
		if st.sendWindow > math.MaxInt32 {
			return 0, fmt.Errorf("%w: stream %d window grows past 2 GiB", errProtocol, f.Stream)
		}
		if st.down.len() > 0 {
			s.markDirty(st)
		}
	case wire.TypeClose:
		// An abort: whatever either side queued is dropped, no CLOSE back.
		n := st.up.reset(s.c.chunks) + st.down.reset(s.c.chunks)
		s.removeStream(st)
		s.budget.give(int64(n))
	}
	return 0, nil
}

// open starts a stream, or refuses it at a limit with a CLOSE of its own.
func (s *session) open(id uint32) error {
	switch {
	case s.streams[id] != nil:
		return fmt.Errorf("%w: OPEN of stream %d, already open", errProtocol, id)
	case s.tomb.has(id):
		return nil // ids are never reused: a late duplicate
	}
	c := s.c
	limit := Limit(0)
	switch {
	case len(s.streams) >= c.o.MaxStreamsPerSession:
		limit = LimitSessionStreams
	case c.streams.Add(1) > int64(c.o.MaxStreams):
		c.streams.Add(-1)
		limit = LimitStreams
	default:
		st := newStream(s, id, wire.InitialWindow)
		s.streams[id] = st
		go s.serve(st)
		return nil
	}
	if len(s.refused) >= c.o.Tombstones {
		return fmt.Errorf("%w: %d refused OPENs not read", errProtocol, len(s.refused))
	}
	c.o.Observer.LimitHit(limit)
	c.o.Observer.Stream(StreamRefused)
	s.refused = append(s.refused, id)
	s.tomb.add(id)
	s.notify()
	return nil
}

// serve hands a stream to the engine until it ends.
func (s *session) serve(st *stream) {
	defer s.c.streams.Add(-1)
	err := s.c.o.Engine.ServeCarried(s.ctx, st, proxy.Carried{Remote: s.streamAddr(st.id), Local: s.local, Key: s.secret.key})
	_ = st.Close()
	if err != nil {
		s.c.o.Observer.Stream(StreamEngineRefused)
		s.log.Debug("web proxy stream refused by the engine", zap.Uint32("stream", st.id), zap.Error(err))
		return
	}
	s.c.o.Observer.Stream(StreamServed)
}

// streamAddr is the client address a stream is served with: the client's
// IP, and a port of the stream's own (the session's random base plus the
// stream id). The client's real port is hidden by the TLS terminator
// anyway; a port per stream keeps the streams, and those of the same
// client's other sessions, apart wherever an address and port name one
// connection, as they do for the middle proxies.
func (s *session) streamAddr(id uint32) netip.AddrPort {
	const first, ports = 1024, 65536 - 1024
	return netip.AddrPortFrom(s.remote.Addr(), uint16(first+(uint32(s.portBase)+id)%ports))
}
