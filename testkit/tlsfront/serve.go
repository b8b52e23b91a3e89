package tlsfront

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
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
		Certificates:     []tls.Certificate{f.cert},
		NextProtos:       []string{"http/1.1"},
		MaxVersion:       f.opts.MaxVersion,
		CurvePreferences: f.opts.CurvePreferences,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			f.update(func() { r.info.SNI = h.ServerName })
			return nil, nil
		},
	}
	_ = c.SetDeadline(time.Now().Add(idleTimeout))
	br := bufio.NewReader(rc)
	if first, err := br.Peek(1); err == nil && first[0] != 0x16 {
		f.update(func() { r.info.Plain, r.info.HandshakeErr = true, errPlain })
		answerPlain(br, rc)
		return
	}
	tc := tls.Server(&peekedConn{Conn: rc, r: br}, cfg)
	if err := tc.Handshake(); err != nil {
		f.update(func() { r.info.HandshakeErr = err })
		return
	}
	br = bufio.NewReader(tc)
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

// errPlain is the HandshakeErr of a connection that sent no TLS.
var errPlain = errors.New("tlsfront: not TLS, answered 400 as nginx does")

// plainAnswer is nginx's answer to plain HTTP on a TLS port.
const plainAnswer = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n" +
	"Content-Length: 248\r\nConnection: close\r\n\r\n" +
	"<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n" +
	"<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n" +
	"<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// answerPlain answers a connection that does not speak TLS as nginx does on
// its TLS port: it reads the request head (up to 8 KiB, within the idle
// timeout) and answers 400 at once, then closes. Bytes that cannot start an
// HTTP request get the same answer as soon as the first line ends.
func answerPlain(br *bufio.Reader, w io.Writer) {
	for n := 0; n < 8<<10; {
		line, err := br.ReadSlice('\n')
		n += len(line)
		if err != nil || len(line) <= 2 || !bytes.Contains(line, []byte("HTTP/")) && n == len(line) {
			break
		}
	}
	_, _ = io.WriteString(w, plainAnswer)
}

// peekedConn reads through the reader that peeked at the first byte.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// recordingConn keeps the first MaxFirstBytes bytes read and written.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	in, out []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.keep(&c.in, p[:n])
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.keep(&c.out, p[:n])
	return n, err
}

func (c *recordingConn) keep(dst *[]byte, p []byte) {
	c.mu.Lock()
	if room := MaxFirstBytes - len(*dst); room > 0 {
		*dst = append(*dst, p[:min(len(p), room)]...)
	}
	c.mu.Unlock()
}

func (c *recordingConn) first() (in, out []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.in), bytes.Clone(c.out)
}
