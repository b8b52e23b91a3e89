package webclient

import (
	"io"
	"net"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// Stream is one stream as a net.Conn: the app's MTProxy connection.
type Stream struct {
	m  *Mux
	id uint32

	// Guarded by m.mu.
	rbuf         []byte
	recv         int64 // credit the relay still has
	consumed     int64
	window       int64 // credit we still have
	closed       bool
	remoteClosed bool
	rdl, wdl     time.Time
	rsig, wsig   chan struct{}
}

// ID returns the stream id.
func (st *Stream) ID() uint32 { return st.id }

func (st *Stream) wake() {
	for _, ch := range []chan struct{}{st.rsig, st.wsig} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Read returns the relay's DATA; io.EOF after its CLOSE.
func (st *Stream) Read(p []byte) (int, error) {
	m := st.m
	for {
		m.mu.Lock()
		switch {
		case len(st.rbuf) > 0:
			n := copy(p, st.rbuf)
			st.rbuf = st.rbuf[n:]
			st.consumed += int64(n)
			if st.consumed >= grantEvery && !st.remoteClosed {
				st.recv += st.consumed
				m.queue(wire.AppendWindow(nil, st.id, uint32(st.consumed)))
				st.consumed = 0
			}
			m.mu.Unlock()
			return n, nil
		case st.closed:
			m.mu.Unlock()
			return 0, net.ErrClosed
		case st.remoteClosed:
			m.mu.Unlock()
			return 0, io.EOF
		case m.err != nil:
			err := m.err
			m.mu.Unlock()
			return 0, err
		}
		dl := st.rdl
		m.mu.Unlock()
		if err := wait(st.rsig, dl); err != nil {
			return 0, err
		}
	}
}

// Write sends p as DATA within the relay's credit.
func (st *Stream) Write(p []byte) (int, error) {
	m := st.m
	written := 0
	for len(p) > 0 {
		m.mu.Lock()
		switch {
		case st.closed || st.remoteClosed:
			m.mu.Unlock()
			return written, net.ErrClosed
		case m.err != nil:
			err := m.err
			m.mu.Unlock()
			return written, err
		case st.window > 0:
			n := int(min(int64(len(p)), st.window, wire.MaxDataChunk))
			m.queue(wire.AppendFrame(nil, wire.TypeData, st.id, p[:n]))
			st.window -= int64(n)
			m.mu.Unlock()
			written += n
			p = p[n:]
			continue
		}
		dl := st.wdl
		m.mu.Unlock()
		if err := wait(st.wsig, dl); err != nil {
			return written, err
		}
	}
	return written, nil
}

func wait(sig chan struct{}, dl time.Time) error {
	if dl.IsZero() {
		<-sig
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
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

// Close aborts the stream with a CLOSE (unless the relay closed it).
func (st *Stream) Close() error {
	m := st.m
	m.mu.Lock()
	if !st.closed {
		st.closed = true
		if !st.remoteClosed {
			m.queue(wire.AppendFrame(nil, wire.TypeClose, st.id, nil))
		}
		delete(m.streams, st.id)
	}
	m.mu.Unlock()
	st.wake()
	return nil
}

func (st *Stream) LocalAddr() net.Addr  { return &net.TCPAddr{} }
func (st *Stream) RemoteAddr() net.Addr { return &net.TCPAddr{} }

func (st *Stream) SetDeadline(t time.Time) error {
	_ = st.SetReadDeadline(t)
	return st.SetWriteDeadline(t)
}

func (st *Stream) SetReadDeadline(t time.Time) error {
	st.m.mu.Lock()
	st.rdl = t
	st.m.mu.Unlock()
	st.wake()
	return nil
}

func (st *Stream) SetWriteDeadline(t time.Time) error {
	st.m.mu.Lock()
	st.wdl = t
	st.m.mu.Unlock()
	st.wake()
	return nil
}
