package tlsfront

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

const domain = "front.example"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestTLSClientSeesCertificateAndPage(t *testing.T) {
	f := Start(t, domain)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: f.CertPool(), ServerName: domain},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", f.Addr())
		},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for _, path := range []string{"/", "/second"} {
		resp, err := hc.Get("https://" + domain + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, f.Body()) || !strings.Contains(string(body), domain) {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		}
		if !resp.TLS.PeerCertificates[0].Equal(f.Certificate()) {
			t.Fatal("another certificate")
		}
	}
	tr.CloseIdleConnections()
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	c := conns[0]
	if c.SNI != domain || c.HandshakeErr != nil || len(c.Requests) != 2 || c.Requests[1] != "GET /second" {
		t.Fatalf("recorded %+v", c)
	}
	if !faketls.LooksLikeHello(c.FirstBytes) {
		t.Fatalf("first bytes %x are no ClientHello", c.FirstBytes[:8])
	}
}

func TestCertificate(t *testing.T) {
	f := Start(t, domain)
	cert := f.Certificate()
	if err := cert.VerifyHostname(domain); err != nil {
		t.Fatal(err)
	}
	if cert.VerifyHostname("other.example") == nil {
		t.Fatal("certificate valid for another host")
	}
	if time.Until(cert.NotAfter) < time.Hour || time.Since(cert.NotBefore) < 0 {
		t.Fatalf("validity %v..%v", cert.NotBefore, cert.NotAfter)
	}
	ip := Start(t, "127.0.0.1")
	if err := ip.Certificate().VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongNameRefusedByClientButRecorded(t *testing.T) {
	f := Start(t, domain)
	c, err := tls.Dial("tcp", f.Addr(), &tls.Config{RootCAs: f.CertPool(), ServerName: "other.example"})
	if err == nil {
		c.Close()
		t.Fatal("handshake for another name verified")
	}
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil || conns[0].SNI != "other.example" {
		t.Fatalf("%+v %v", conns, err)
	}
}

func TestNonTLSBytesRecorded(t *testing.T) {
	f := Start(t, domain)
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	probe := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.Write(probe)
	// The answer comes while the connection is open: the site does not
	// wait for the client to leave.
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	reply, err := io.ReadAll(c)
	c.Close()
	if err != nil || !bytes.HasPrefix(reply, []byte("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n")) ||
		!bytes.Contains(reply, []byte("The plain HTTP request was sent to HTTPS port")) {
		t.Fatalf("answer %q %v", reply, err)
	}
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil || !conns[0].Plain || conns[0].HandshakeErr == nil || !bytes.Equal(conns[0].FirstBytes, probe) ||
		!bytes.Equal(conns[0].Written, reply) {
		t.Fatalf("%+v %v", conns, err)
	}
}

// A FakeTLS client hello is a real TLS 1.3 hello to a real stack: replayed
// to the front, as fronting does, it gets a genuine ServerHello.
func TestFakeTLSHelloGetsRealServerHello(t *testing.T) {
	f := Start(t, domain)
	hello, _, err := faketls.BuildClientHello(rand.Reader, [16]byte{1}, faketls.HelloOptions{Domain: domain, Timestamp: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 6)
	if _, err := io.ReadFull(c, head); err != nil {
		t.Fatal(err)
	}
	// 16 03 03 <len> 02: a ServerHello record.
	if head[0] != faketls.TypeHandshake || head[1] != 3 || head[2] != 3 || head[5] != 2 {
		t.Fatalf("answer %x", head)
	}
	c.Close()
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil || conns[0].SNI != domain || !bytes.Equal(conns[0].FirstBytes, hello) {
		t.Fatalf("%+v %v", conns, err)
	}
}

func TestCloseEndsConnections(t *testing.T) {
	f, err := New(domain)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); len(f.Conns()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("connection not accepted")
		}
	}
	done := make(chan struct{})
	go func() { f.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
	if !f.Conns()[0].Closed {
		t.Fatal("connection not closed")
	}
}
