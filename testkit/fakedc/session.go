package fakedc

import (
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

// session is one connection after its header: the decrypting reader, the
// encrypting writer and per-connection answer state. Only the connection's
// goroutine uses it.
type session struct {
	d      *DC
	c      *conn
	t      framing.Transport
	dec    *decReader
	enc    *encWriter
	msgIDs mtproto.MsgIDs
	timer  *time.Timer
}

// pause waits Options.Delay before an answer; it gives up with ErrClosed
// when the DC closes meanwhile.
func (s *session) pause() error {
	if s.d.o.Delay <= 0 {
		return nil
	}
	if s.timer == nil {
		s.timer = time.NewTimer(s.d.o.Delay)
	} else {
		s.timer.Reset(s.d.o.Delay)
	}
	select {
	case <-s.timer.C:
		return nil
	case <-s.d.closing:
		return ErrClosed
	}
}

func (s *session) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// bulkDone records a completed bulk transfer.
func (s *session) bulkDone() {
	s.d.st.bulk.Add(1)
	s.d.event(func() { s.c.bulk++ })
}

// buffer returns a buffer of at least n bytes for a bulk transfer: a pooled
// one when it is large enough, and a release function.
func (s *session) buffer(n int) ([]byte, func()) {
	if n > largeBufSize {
		return make([]byte, n), func() {}
	}
	b := s.d.pool.get()
	return *b, func() { s.d.pool.put(b) }
}
