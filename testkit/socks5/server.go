package socks5

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
)

// handshakeTimeout bounds the SOCKS negotiation of one connection.
const handshakeTimeout = 10 * time.Second

// Record is one request the server received.
type Record struct {
	Client  string  // the client's address
	Request Request // what it asked for
	Err     error   // why the request was refused; nil if it was connected
}

// Server is a SOCKS5 server that connects every request to one target.
// Its methods are safe for concurrent use.
type Server struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu      sync.Mutex
	records []Record
	open    map[net.Conn]struct{}
	closed  bool
}

// New starts a server on 127.0.0.1:0 that connects every CONNECT request to
// target (host:port). Close stops it.
func New(target string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("socks5: %w", err)
	}
	s := &Server{target: target, ln: ln, open: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Start is New for tests: it fails tb on error and closes the server when
// the test ends.
func Start(tb testing.TB, target string) *Server {
	tb.Helper()
	s, err := New(target)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// Close stops listening, closes every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	_ = s.ln.Close()
	for c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: wait
			continue
		}
		if !s.track(c) {
			return
		}
		s.wg.Add(1)
		go s.serve(c)
	}
}

// track registers c for Close; false when the server is closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return false
	}
	s.open[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
	_ = c.Close()
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer s.untrack(c)
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	noAuth, err := readGreeting(c)
	if err != nil {
		return
	}
	if !noAuth {
		_, _ = c.Write([]byte{version5, methodNoAcceptable})
		return
	}
	if _, err := c.Write([]byte{version5, methodNoAuth}); err != nil {
		return
	}
	req, err := readRequest(c)
	if err != nil {
		s.refuse(c, req, err)
		return
	}
	up, err := net.DialTimeout("tcp", s.target, handshakeTimeout)
	if err != nil {
		s.record(c, req, err)
		_, _ = c.Write(appendReply(nil, ReplyConnectionRefused, nil))
		return
	}
	if !s.track(up) {
		return
	}
	defer s.untrack(up)
	s.record(c, req, nil)
	if _, err := c.Write(appendReply(nil, ReplySucceeded, up.LocalAddr())); err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	splice(c, up)
}

// refuse answers a bad request with the matching reply code, when the
// request got far enough to deserve one, and records it.
func (s *Server) refuse(c net.Conn, req Request, err error) {
	var code byte
	switch {
	case errors.Is(err, ErrCommand):
		code = ReplyCommandUnsupported
	case errors.Is(err, ErrAddressType):
		code = ReplyAddressUnsupported
	case errors.Is(err, ErrMalformed):
		code = ReplyGeneralFailure
	default:
		return // the client went away or is not speaking SOCKS5
	}
	s.record(c, req, err)
	_, _ = c.Write(appendReply(nil, code, nil))
}

func (s *Server) record(c net.Conn, req Request, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, Record{Client: c.RemoteAddr().String(), Request: req, Err: err})
}

// splice copies both ways until both directions end, passing each end of
// stream on as a half-close.
func splice(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Go(func() { copyHalf(b, a) })
	copyHalf(a, b)
	wg.Wait()
}

// copyHalf copies src to dst, then shuts dst's write side (or closes it,
// and src, when the copy failed, so the other direction ends too).
func copyHalf(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err == nil && netx.CloseWrite(dst) == nil {
		return
	}
	_ = dst.Close()
	_ = src.Close()
}
