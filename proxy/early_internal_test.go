package proxy

import (
	"bytes"
	"crypto/rand"
	"net"
	"sync/atomic"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// readCounter counts the reads of its connection.
type readCounter struct {
	net.Conn
	reads atomic.Int32
}

func (r *readCounter) Read(b []byte) (int, error) {
	r.reads.Add(1)
	return r.Conn.Read(b)
}

// A client that sends its header and its first packet in one write, as
// Telegram's clients do, costs one read: the handshake's read takes both,
// and the session's first read of the client is served from what it kept
// (it had been a read of 64 bytes, then a second read for the packet).
func TestHandshakeKeepsTheFirstPacket(t *testing.T) {
	key := [16]byte{7, 7, 7}
	p, err := New(Options{Secrets: []Secret{{Key: key}}, Upstream: nopUpstream{}})
	if err != nil {
		t.Fatal(err)
	}
	hdr, enc, _, err := obfuscated2.Generate(rand.Reader, &key, framing.Intermediate, 2)
	if err != nil {
		t.Fatal(err)
	}
	pkt := append([]byte{40, 0, 0, 0}, bytes.Repeat([]byte{0xab}, 40)...)
	wire := append(hdr[:], pkt...)
	enc.XORKeyStream(wire[len(hdr):], pkt)

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = a.Write(wire) }()
	rc := &readCounter{Conn: b}
	prog := newProgress(p.obs)
	h := p.handshake(rc, prog)
	if h.result != HandshakeOK {
		t.Fatalf("handshake %v: %v", h.result, h.err)
	}
	sess := p.newSession(rc, h, prog, &connFields{})
	got := make([]byte, 100)
	n, err := sess.Client.Read(got)
	if err != nil || !bytes.Equal(got[:n], pkt) {
		t.Fatalf("the first read gave %x, %v; want the packet %x", got[:n], err, pkt)
	}
	if r := rc.reads.Load(); r != 1 {
		t.Fatalf("%d reads of the connection for the header and the packet, want 1", r)
	}
	if in, _ := sess.Client.Bytes(); in != int64(len(pkt)) {
		t.Fatalf("the client's bytes in: %d, want the packet's %d", in, len(pkt))
	}
	if sess.Client.early != nil {
		t.Fatal("the handshake's buffer is still held after its bytes were read")
	}
}
