package tlsfront

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// serve runs one connection: TLS handshake, then HTTP/1.1 requests until
// the client closes or idles.
func (f *Front) serve(c net.Conn, r *record) {
	defer f.wg.Done()
	rc := r.rc
	defer func() {
		_ = c.Close()
		f.update(func() {
			delete(f.open, c)
			r.info.Closed = true
		})
	}()
	cfg := &tls.Config{
		Certificates: []tls.Certificate{f.cert},
		NextProtos:   []string{"http/1.1"},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			f.update(func() { r.info.SNI = h.ServerName })
			return nil, nil
		},
	}
	_ = c.SetDeadline(time.Now().Add(idleTimeout))
	tc := tls.Server(rc, cfg)
	if err := tc.Handshake(); err != nil {
		f.update(func() { r.info.HandshakeErr = err })
		return
	}
	br := bufio.NewReader(tc)
	for {
		_ = c.SetDeadline(time.Now().Add(idleTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		f.update(func() { r.info.Requests = append(r.info.Requests, req.Method+" "+req.URL.Path) })
		if err := f.respond(tc, req); err != nil || req.Close {
			return
		}
	}
}

// respond writes the page (headers only for HEAD).
func (f *Front) respond(w net.Conn, req *http.Request) error {
	_ = req.Body.Close()
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"+
		"Content-Length: %d\r\nServer: tlsfront\r\n\r\n", len(f.body))
	out := []byte(head)
	if req.Method != http.MethodHead {
		out = append(out, f.body...)
	}
	_, err := w.Write(out)
	return err
}

// recordingConn keeps the first MaxFirstBytes bytes read.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if room := MaxFirstBytes - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) first() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}
