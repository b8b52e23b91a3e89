package badpeer

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Behaviour is what a Peer does with a connection.
type Behaviour int

// Behaviours.
const (
	HTTP400 Behaviour = iota
	Silent
	CloseAfterFirst
	Echo
)

var behaviourNames = [...]string{"http400", "silent", "close_after_first", "echo"}

// String names the behaviour.
func (b Behaviour) String() string {
	if b >= 0 && int(b) < len(behaviourNames) {
		return behaviourNames[b]
	}
	return "unknown"
}

// Behaviours lists every behaviour.
func Behaviours() []Behaviour { return []Behaviour{HTTP400, Silent, CloseAfterFirst, Echo} }

// HTTPResponse is what HTTP400 answers.
const HTTPResponse = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request"

// maxHold bounds how long a connection is kept: a peer must not hold a
// test's connections forever.
const maxHold = 5 * time.Minute

// Peer is a listening bad peer. Its methods are safe for concurrent use.
type Peer struct {
	b        Behaviour
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// New listens on addr ("127.0.0.1:0" when empty) and serves b.
func New(b Behaviour, addr string) (*Peer, error) {
	if int(b) < 0 || int(b) >= len(behaviourNames) {
		return nil, fmt.Errorf("badpeer: unknown behaviour %d", b)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("badpeer: %w", err)
	}
	p := &Peer{b: b, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Start is New on loopback, closed when the test ends.
func Start(t testing.TB, b Behaviour) *Peer {
	t.Helper()
	p, err := New(b, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Addr is the listening address, host:port.
func (p *Peer) Addr() string { return p.ln.Addr().String() }

// Accepted counts the connections accepted so far.
func (p *Peer) Accepted() int64 { return p.accepted.Load() }

// Close stops listening, closes every connection and waits for them.
func (p *Peer) Close() {
	p.mu.Lock()
	p.closed = true
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Peer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		p.accepted.Add(1)
		go p.serve(c)
	}
}

func (p *Peer) serve(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		_ = c.Close()
	}()
	_ = c.SetDeadline(time.Now().Add(maxHold))
	buf := make([]byte, 4096)
	switch p.b {
	case HTTP400:
		if _, err := c.Read(buf); err == nil {
			_, _ = io.WriteString(c, HTTPResponse)
		}
	case Silent:
		_, _ = io.Copy(io.Discard, c)
	case CloseAfterFirst:
		_, _ = c.Read(buf)
	case Echo:
		_, _ = io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c}, buf)
	}
}
