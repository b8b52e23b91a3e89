package proxy

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"runtime"
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

// earlyKey is the secret of the engine earlyProxy returns.
var earlyKey = [16]byte{7, 7, 7}

// earlyProxy returns an engine with earlyKey as its one secret.
func earlyProxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := New(Options{Secrets: []Secret{{Key: earlyKey}}, Upstream: nopUpstream{}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clientWire returns what an intermediate client with earlyKey sends: its
// header, then pkt encrypted (none when pkt is nil).
func clientWire(t *testing.T, pkt []byte) []byte {
	t.Helper()
	hdr, enc, _, err := obfuscated2.Generate(rand.Reader, &earlyKey, framing.Intermediate, 2)
	if err != nil {
		t.Fatal(err)
	}
	wire := append(hdr[:], pkt...)
	enc.XORKeyStream(wire[len(hdr):], pkt)
	return wire
}

// A client that sends its header and its first packet in one write, as
// Telegram's clients do, costs one read: the handshake's read takes both,
// and the session's first read of the client is served from what it kept
// (it had been a read of 64 bytes, then a second read for the packet).
func TestHandshakeKeepsTheFirstPacket(t *testing.T) {
	p := earlyProxy(t)
	pkt := append([]byte{40, 0, 0, 0}, bytes.Repeat([]byte{0xab}, 40)...)
	wire := clientWire(t, pkt)

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

// A client that sent only its header leaves the session no early bytes:
// an empty remainder must not count as some, or the session's first wait
// would return at once and its reader would hold a buffer (and the
// handshake's) until the client's first packet.
func TestHandshakeHeaderAloneLeavesNoEarlyBytes(t *testing.T) {
	p := earlyProxy(t)
	hdr := clientWire(t, nil)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = a.Write(hdr) }()
	prog := newProgress(p.obs)
	h := p.handshake(b, prog)
	if h.result != HandshakeOK {
		t.Fatalf("handshake %v: %v", h.result, h.err)
	}
	if sess := p.newSession(b, h, prog, &connFields{}); sess.Client.early != nil {
		t.Fatalf("early bytes %q after a header alone", sess.Client.early)
	}
}

// chunks returns its chunks one per Read, then io.EOF.
type chunks [][]byte

func (c *chunks) Read(b []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(b, (*c)[0])
	if (*c)[0] = (*c)[0][n:]; len((*c)[0]) == 0 {
		*c = (*c)[1:]
	}
	return n, nil
}

// earlyReader keeps every byte it took (all) until recycled, serves them
// again after a rewind, reads past a full buffer directly, and reuses the
// buffer only once nothing in it is unread.
func TestEarlyReader(t *testing.T) {
	src := &chunks{[]byte("abcdef"), []byte("ghij"), []byte("klmnop")}
	e := earlyReader{r: src, buf: make([]byte, 8)}
	b := make([]byte, 4)
	read := func(want string) {
		t.Helper()
		n, err := e.Read(b)
		if err != nil || string(b[:n]) != want {
			t.Fatalf("read %q, %v; want %q", b[:n], err, want)
		}
	}
	read("abcd")
	read("ef")
	read("gh") // the buffer's last two bytes of room
	if got := string(e.all()); got != "abcdefgh" {
		t.Fatalf("all %q", got)
	}
	read("ij") // the buffer is full and read: straight from the source
	if got := string(e.all()); got != "abcdefgh" {
		t.Fatalf("all after a direct read %q", got)
	}
	e.rewind()
	read("abcd")
	if got := string(e.rest()); got != "efgh" {
		t.Fatalf("rest %q", got)
	}
	e.recycle() // bytes are unread: kept
	if got := string(e.all()); got != "abcdefgh" {
		t.Fatalf("recycled with unread bytes: all %q", got)
	}
	read("efgh")
	e.recycle()
	read("klmn") // into the buffer again, all six taken
	if got := string(e.rest()); got != "op" {
		t.Fatalf("rest after recycling %q", got)
	}
	read("op")
	if n, err := e.Read(b); n != 0 || err != io.EOF {
		t.Fatalf("at the end: %d, %v", n, err)
	}
}

// A handshake's read buffer comes from a pool and goes back to it, and the
// session gets a copy of the early bytes only: an authenticated handshake
// leaves little garbage (a 512-byte buffer in every handshake had raised
// the RSS of 18,000 idle clients by about 650 bytes each).
//
// The race detector makes sync.Pool drop buffers at random: .ci/test.sh
// runs this test in a release build as well.
func TestHandshakeBufferPooled(t *testing.T) {
	if raceBuild {
		t.Skip("pooled allocations are the release build's (sync.Pool drops buffers under the race detector)")
	}
	p := earlyProxy(t)
	const n = 200
	wires := make([][]byte, n)
	for i := range wires {
		wires[i] = clientWire(t, append([]byte{40, 0, 0, 0}, bytes.Repeat([]byte{0xab}, 40)...))
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		for _, w := range wires {
			if _, err := a.Write(w); err != nil {
				return
			}
		}
	}()
	handshake := func() {
		h := p.handshake(b, newProgress(p.obs))
		if h.result != HandshakeOK || len(h.early) != 44 {
			t.Fatalf("handshake %v (%v), %d early bytes", h.result, h.err, len(h.early))
		}
		p.releaseBuffers(h)
	}
	handshake() // the pool's first buffer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n - 1 {
		handshake()
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / (n - 1)
	t.Logf("%d bytes allocated per handshake", per)
	if per > 1664 {
		t.Fatalf("%d bytes allocated per handshake, want at most 1664", per)
	}
}
