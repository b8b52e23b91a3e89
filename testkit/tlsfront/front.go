package tlsfront

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// Limits of one connection.
const (
	// MaxFirstBytes is how many of a connection's first bytes are kept.
	MaxFirstBytes = 32 << 10
	// idleTimeout closes a connection without traffic.
	idleTimeout = 10 * time.Second
)

// ConnInfo is what the front saw on one connection.
type ConnInfo struct {
	Remote       string
	SNI          string   // server_name of the ClientHello; "" when absent or no hello
	FirstBytes   []byte   // the first bytes read so far, up to MaxFirstBytes
	Written      []byte   // the first bytes written so far, up to MaxFirstBytes
	HandshakeErr error    // nil when the TLS handshake completed
	Plain        bool     // the first byte was no TLS record: answered as nginx does
	Requests     []string // "METHOD /path" of each HTTP request served
	Closed       bool
}

// Front is a TLS web server for one domain. Its methods are safe for
// concurrent use.
type Front struct {
	domain string
	cert   tls.Certificate
	leaf   *x509.Certificate
	ln     net.Listener
	body   []byte
	opts   Options
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   []*record
	open    map[net.Conn]struct{}
	closed  bool
	changed chan struct{}
}

// record is the mutable ConnInfo of a connection, guarded by Front.mu,
// and the connection's reader, whose first bytes it reports.
type record struct {
	info ConnInfo
	rc   *recordingConn
}

// Options vary the front's TLS server, to stand in for other sites.
type Options struct {
	// MaxVersion caps the TLS version (tls.VersionTLS12 for a site without
	// TLS 1.3). Default: crypto/tls's.
	MaxVersion uint16
	// CurvePreferences are the groups the server accepts, in its order.
	// Default: crypto/tls's (X25519MLKEM768 first).
	CurvePreferences []tls.CurveID
}

// New starts a front for domain on 127.0.0.1:0 with a fresh self-signed
// certificate. Close stops it.
func New(domain string) (*Front, error) { return NewWith(domain, Options{}) }

// NewWith is New with options.
func NewWith(domain string, o Options) (*Front, error) {
	cert, leaf, err := selfSigned(domain)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tlsfront: %w", err)
	}
	f := &Front{
		domain: domain, cert: cert, leaf: leaf, ln: ln, opts: o,
		body:    []byte("<!doctype html><title>" + domain + "</title><p>Welcome to " + domain + "\n"),
		open:    make(map[net.Conn]struct{}),
		changed: make(chan struct{}),
	}
	f.wg.Add(1)
	go f.acceptLoop()
	return f, nil
}

// Start is New for tests: it fails tb on error and closes the front when
// the test ends.
func Start(tb testing.TB, domain string) *Front {
	tb.Helper()
	f, err := New(domain)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

// StartWith is NewWith for tests, as Start.
func StartWith(tb testing.TB, domain string, o Options) *Front {
	tb.Helper()
	f, err := NewWith(domain, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

// Addr returns the host:port the front listens on.
func (f *Front) Addr() string { return f.ln.Addr().String() }

// Domain returns the domain the certificate is for.
func (f *Front) Domain() string { return f.domain }

// Certificate returns the front's self-signed certificate.
func (f *Front) Certificate() *x509.Certificate { return f.leaf }

// CertPool returns a pool holding only the front's certificate, for
// tls.Config.RootCAs.
func (f *Front) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(f.leaf)
	return p
}

// Body returns the page every request gets.
func (f *Front) Body() []byte { return append([]byte(nil), f.body...) }

// Conns returns a snapshot of every connection so far, in accept order.
func (f *Front) Conns() []ConnInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ConnInfo, len(f.conns))
	for i, r := range f.conns {
		out[i] = r.info
		out[i].FirstBytes, out[i].Written = r.rc.first()
		out[i].Requests = append([]string(nil), r.info.Requests...)
	}
	return out
}

// WaitConns waits until n connections have closed and returns them all.
func (f *Front) WaitConns(ctx context.Context, n int) ([]ConnInfo, error) {
	for {
		f.mu.Lock()
		done := 0
		for _, r := range f.conns {
			if r.info.Closed {
				done++
			}
		}
		ch, closed := f.changed, f.closed
		f.mu.Unlock()
		if done >= n {
			return f.Conns(), nil
		}
		if closed {
			return f.Conns(), errors.New("tlsfront: closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return f.Conns(), ctx.Err()
		}
	}
}

// Close stops listening, closes every connection and waits for them.
func (f *Front) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	_ = f.ln.Close()
	for c := range f.open {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	f.update(func() {})
	return nil
}

// update changes guarded state and wakes WaitConns.
func (f *Front) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Front) acceptLoop() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		r := &record{info: ConnInfo{Remote: c.RemoteAddr().String()}, rc: &recordingConn{Conn: c}}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			_ = c.Close()
			return
		}
		f.open[c] = struct{}{}
		f.conns = append(f.conns, r)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(c, r)
	}
}
