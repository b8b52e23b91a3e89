package webclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// grantEvery is how many bytes a stream reads before it grants them back.
const grantEvery = 64 << 10

// ErrWindow: the relay sent DATA beyond the credit it was given.
var ErrWindow = errors.New("webclient: the relay overran a stream's window")

// Mux multiplexes streams over a Transport, the app's side of the frame
// protocol: OPEN, DATA within the relay's credit, WINDOW as it reads,
// CLOSE.
type Mux struct {
	t         Transport
	closeOnce sync.Once
	closeErr  error
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu      sync.Mutex
	streams map[uint32]*Stream
	next    uint32
	out     [][]byte
	outSig  chan struct{}
	err     error
	frames  int // frames received
}

// NewMux starts a Mux over t.
func NewMux(t Transport) *Mux {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mux{t: t, ctx: ctx, cancel: cancel, streams: map[uint32]*Stream{}, outSig: make(chan struct{}, 1)}
	m.wg.Add(2)
	go m.sendLoop()
	go m.recvLoop()
	return m
}

// Open opens the next stream.
func (m *Mux) Open() (*Stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	m.next++
	st := &Stream{m: m, id: m.next, window: wire.InitialWindow, recv: wire.InitialWindow,
		rsig: make(chan struct{}, 1), wsig: make(chan struct{}, 1)}
	m.streams[st.id] = st
	m.queue(wire.AppendFrame(nil, wire.TypeOpen, st.id, nil))
	return st, nil
}

// Err returns the error that stopped the Mux, if any.
func (m *Mux) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Close stops the Mux and closes the transport (ending the session). It
// is idempotent.
func (m *Mux) Close() error {
	m.closeOnce.Do(func() {
		m.fail(net.ErrClosed)
		m.closeErr = m.t.Close()
		m.wg.Wait()
	})
	return m.closeErr
}

// queue adds a frame to send; called with m.mu held.
func (m *Mux) queue(f []byte) {
	m.out = append(m.out, f)
	select {
	case m.outSig <- struct{}{}:
	default:
	}
}

func (m *Mux) fail(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	for _, st := range m.streams {
		st.wake()
	}
	m.mu.Unlock()
	m.cancel()
}

func (m *Mux) sendLoop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.outSig:
		case <-m.ctx.Done():
			return
		}
		for {
			m.mu.Lock()
			var batch []byte
			n := 0
			for len(m.out) > 0 && n < wire.MaxBatchFrames && len(batch)+len(m.out[0]) <= wire.MaxBatchBytes {
				batch = append(batch, m.out[0]...)
				m.out = m.out[1:]
				n++
			}
			m.mu.Unlock()
			if n == 0 {
				break
			}
			if err := m.t.Send(m.ctx, batch); err != nil {
				m.fail(fmt.Errorf("webclient: send: %w", err))
				return
			}
		}
	}
}

func (m *Mux) recvLoop() {
	defer m.wg.Done()
	for {
		b, err := m.t.Recv(m.ctx)
		if err != nil {
			m.fail(fmt.Errorf("webclient: receive: %w", err))
			return
		}
		if err := m.dispatch(b); err != nil {
			m.fail(err)
			return
		}
	}
}

// dispatch applies a batch from the relay.
func (m *Mux) dispatch(b []byte) error {
	if _, err := wire.CheckBatch(b, wire.FromRelay); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(b) > 0 {
		f, n, _ := wire.Parse(b, wire.FromRelay)
		b = b[n:]
		m.frames++
		st := m.streams[f.Stream]
		if st == nil {
			continue // a stream closed here; or a session frame
		}
		switch f.Type {
		case wire.TypeData:
			if int64(len(f.Payload)) > st.recv {
				return fmt.Errorf("%w: stream %d", ErrWindow, f.Stream)
			}
			st.recv -= int64(len(f.Payload))
			st.rbuf = append(st.rbuf, f.Payload...)
		case wire.TypeWindow:
			st.window += int64(f.Window())
		case wire.TypeClose:
			st.remoteClosed = true
			delete(m.streams, st.id)
		}
		st.wake()
	}
	return nil
}
