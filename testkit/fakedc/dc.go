package fakedc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// Sizes of the buffers a connection reads raw bytes into: every connection
// owns a small one, and borrows a large pooled one while its reads keep
// filling the small one (see serveRaw).
const (
	smallBufSize = 2 << 10
	largeBufSize = 64 << 10
)

// ErrClosed is returned by the Wait methods once the DC is closed.
var ErrClosed = errors.New("fakedc: closed")

// errCloseAfterReqDH ends a connection on purpose (Options.CloseOnReqDH).
var errCloseAfterReqDH = errors.New("fakedc: closing after req_DH_params")

// DC is a fake Telegram DC listening on loopback. Its methods are safe for
// concurrent use.
type DC struct {
	o       Options
	ln      net.Listener
	pool    *bufPool
	st      counters
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup

	mu      sync.Mutex
	nextID  uint64
	conns   map[uint64]*conn
	changed chan struct{} // closed and replaced on every event
	reqDH   []ConnInfo    // req_DH_params events not yet taken by WaitReqDH
	closed  bool
}

// New starts a DC listening on o.ListenAddr. Close stops it.
func New(o Options) (*DC, error) {
	o = o.withDefaults()
	if o.Mode != Packets && o.Mode != Raw {
		return nil, fmt.Errorf("fakedc: unknown mode %d", o.Mode)
	}
	ln, err := net.Listen("tcp", o.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("fakedc: %w", err)
	}
	d := &DC{
		o:       o,
		ln:      ln,
		pool:    newBufPool(largeBufSize),
		closing: make(chan struct{}),
		conns:   make(map[uint64]*conn),
		changed: make(chan struct{}),
	}
	d.wg.Add(1)
	go d.acceptLoop()
	return d, nil
}

// Start is New for tests: it fails tb on error and closes the DC when the
// test ends.
func Start(tb testing.TB, o Options) *DC {
	tb.Helper()
	d, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// Addr returns the host:port the DC listens on.
func (d *DC) Addr() string { return d.ln.Addr().String() }

// Close stops accepting, closes every connection and waits for their
// goroutines. It is idempotent.
func (d *DC) Close() error {
	d.once.Do(func() {
		close(d.closing)
		_ = d.ln.Close()
		d.mu.Lock()
		for _, c := range d.conns {
			_ = c.nc.Close()
		}
		d.mu.Unlock()
		d.wg.Wait()
		d.mu.Lock()
		d.closed = true
		d.broadcast()
		d.mu.Unlock()
	})
	return nil
}

func (d *DC) acceptLoop() {
	defer d.wg.Done()
	backoff := time.Millisecond
	for {
		nc, err := d.ln.Accept()
		if err != nil {
			select {
			case <-d.closing:
				return
			default:
			}
			// Out of file descriptors and the like: wait, as net/http does.
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = time.Millisecond
		d.st.accepted.Add(1)
		d.st.active.Add(1)
		c := d.register(nc)
		d.wg.Add(1)
		go d.handle(c)
	}
}

func (d *DC) register(nc net.Conn) *conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	c := &conn{nc: nc, id: d.nextID, remote: nc.RemoteAddr().String(), opened: time.Now()}
	d.conns[c.id] = c
	d.broadcast()
	return c
}

// handle runs one connection to its end and records how it ended.
func (d *DC) handle(c *conn) {
	defer d.wg.Done()
	err := d.serve(c)
	_ = c.nc.Close()
	select {
	case <-d.closing:
		err = nil // our own Close, not the peer's doing
	default:
	}
	if errors.Is(err, io.EOF) || errors.Is(err, errCloseAfterReqDH) {
		err = nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c.closed, c.err = true, err
	if d.o.ForgetClosed {
		delete(d.conns, c.id)
	}
	d.st.active.Add(-1) // after the record is final: Active == 0 means all are
	d.broadcast()
}

// serve reads the header and runs the connection in the configured mode.
func (d *DC) serve(c *conn) error {
	var hdr [obfuscated2.HeaderLen]byte
	_ = c.nc.SetReadDeadline(time.Now().Add(d.o.HeaderTimeout))
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		d.st.badHeader.Add(1)
		return fmt.Errorf("fakedc: reading header: %w", err)
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	a, err := obfuscated2.AcceptDC(&hdr)
	if err != nil {
		d.st.badHeader.Add(1)
		return err
	}
	d.st.headerOK.Add(1)
	d.event(func() { c.headerOK, c.dc, c.transport = true, a.DC, a.Transport })
	if d.o.RejectAfterHeader {
		return nil
	}
	s := &session{
		d:   d,
		c:   c,
		t:   a.Transport,
		dec: &decReader{c: c, s: a.Decrypt, st: &d.st},
		enc: &encWriter{c: c, s: a.Encrypt, st: &d.st},
	}
	defer s.stopTimer()
	if d.o.Mode == Raw {
		return s.serveRaw()
	}
	return s.servePackets()
}
