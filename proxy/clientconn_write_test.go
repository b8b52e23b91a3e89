package proxy

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"net"
	"testing"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) { c.writes++; return c.Conn.Write(p) }

// An obfuscated2 client's write larger than a relay buffer (an answer of a
// full buffer plus its transport header) is one write to the socket, in a
// bulk buffer; with every bulk buffer lent it takes a write per buffer.
// The client reads the same stream either way.
func TestClientWriteLargerThanBufferIsOneWrite(t *testing.T) {
	for _, c := range []struct {
		name       string
		n, bulkMax int
		writes     int
	}{
		{"buffer plus header", DefaultBufferSize + 20, DefaultBulkBuffers, 1},
		{"more than a bulk buffer", BulkFactor*DefaultBufferSize + 20, DefaultBulkBuffers, 2},
		{"bulk buffers all lent", DefaultBufferSize + 20, 0, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := tcpPair(t)
			block, _ := aes.NewCipher(make([]byte, 16))
			iv := make([]byte, 16)
			conn := &countingConn{Conn: a}
			cc := &ClientConn{
				conn: conn, enc: cipher.NewCTR(block, iv), traffic: new(Traffic),
				bufs: newBufferPool(DefaultBufferSize, c.bulkMax), chunk: DefaultBufferSize,
			}
			p := make([]byte, c.n)
			for i := range p {
				p[i] = byte(i)
			}
			orig := bytes.Clone(p)
			if n, err := cc.Write(p); n != len(p) || err != nil {
				t.Fatalf("write: %d, %v", n, err)
			}
			if !bytes.Equal(p, orig) {
				t.Fatal("Write changed its argument")
			}
			if conn.writes != c.writes {
				t.Errorf("%d writes to the socket, want %d", conn.writes, c.writes)
			}
			want := make([]byte, len(p))
			cipher.NewCTR(block, iv).XORKeyStream(want, p)
			got := make([]byte, len(p))
			if _, err := io.ReadFull(b, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("client read %v: stream differs", err)
			}
			if out := cc.bufs.inUse.Load(); out != 0 {
				t.Fatalf("%d buffers still lent", out)
			}
		})
	}
}

// rawClient returns a ClientConn over a that writes with raw system
// calls, as the engine's are, and the stream that decrypts what it sends.
func rawClient(t *testing.T, a *net.TCPConn, tls bool) (*ClientConn, cipher.Stream) {
	t.Helper()
	block, _ := aes.NewCipher(make([]byte, 16))
	iv := make([]byte, 16)
	rc, err := a.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	cc := &ClientConn{
		conn: a, enc: cipher.NewCTR(block, iv), traffic: new(Traffic), tls: tls,
		bufs: newBufferPool(DefaultBufferSize, DefaultBulkBuffers), chunk: DefaultBufferSize,
		raw: true, rc: rc,
	}
	return cc, cipher.NewCTR(block, iv)
}

// TryWrite takes what fits one write and writes what the socket takes
// without waiting; once the socket is full the rest is pending, a further
// TryWrite takes nothing, and the next Write sends the pending bytes
// first: the client reads one stream, in order. Every buffer goes back.
func TestClientTryWrite(t *testing.T) {
	a, b := tcpPair(t)
	cc, dec := rawClient(t, a, false)
	var sent []byte
	p := make([]byte, DefaultBufferSize+20) // a bulk buffer's worth
	for i := 0; !cc.Pending(); i++ {
		for j := range p {
			p[j] = byte(i*31 + j)
		}
		taken, err := cc.TryWrite(p)
		if !taken || err != nil {
			t.Fatalf("TryWrite #%d: taken %v, %v", i, taken, err)
		}
		sent = append(sent, p...)
		if i > 100000 {
			t.Fatal("an unread socket never filled")
		}
	}
	if taken, err := cc.TryWrite([]byte("more")); taken || err != nil {
		t.Fatalf("TryWrite with bytes pending: taken %v, %v; want nothing taken", taken, err)
	}
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	if _, err := cc.Write([]byte("last")); err != nil { // flushes first
		t.Fatal(err)
	}
	sent = append(sent, "last"...)
	_ = a.CloseWrite()
	all := <-got
	dec.XORKeyStream(all, all)
	if !bytes.Equal(all, sent) {
		t.Fatalf("client read %d bytes, want the %d written, in order", len(all), len(sent))
	}
	if out := cc.bufs.inUse.Load(); out != 0 {
		t.Fatalf("%d buffers still lent", out)
	}
	if w := cc.out; w != int64(len(sent)) {
		t.Fatalf("%d bytes counted out, want %d", w, len(sent))
	}
}

// TryWrite declines, touching nothing, what cannot go in one write now: a
// connection without raw writes, a FakeTLS payload beyond the next
// record, more than a bulk buffer. A FakeTLS payload that fits goes out
// as one record.
func TestClientTryWriteDeclines(t *testing.T) {
	a, b := tcpPair(t)
	cc, _ := rawClient(t, a, false)
	if taken, _ := cc.TryWrite(make([]byte, BulkFactor*DefaultBufferSize+1)); taken {
		t.Fatal("took more than a bulk buffer")
	}
	cc.raw = false
	if taken, _ := cc.TryWrite([]byte("x")); taken {
		t.Fatal("took a write without raw system calls")
	}

	tc, dec := rawClient(t, a, true)
	tc.rec = newRecordSizing(100, 2)
	if taken, _ := tc.TryWrite(make([]byte, 101)); taken {
		t.Fatal("took more than the first record may carry")
	}
	if taken, err := tc.TryWrite([]byte("hello")); !taken || err != nil {
		t.Fatalf("a payload within the record: taken %v, %v", taken, err)
	}
	rec := make([]byte, 5+5)
	if _, err := io.ReadFull(b, rec); err != nil {
		t.Fatal(err)
	}
	dec.XORKeyStream(rec[5:], rec[5:])
	if !bytes.Equal(rec, []byte{0x17, 3, 3, 0, 5, 'h', 'e', 'l', 'l', 'o'}) {
		t.Fatalf("record % x", rec)
	}
	if tc.records != 1 {
		t.Fatalf("%d records counted, want 1", tc.records)
	}
}

// TryWriteFramed sends head, body and tail as one stream, as TryWrite of
// their concatenation would.
func TestClientTryWriteFramed(t *testing.T) {
	a, b := tcpPair(t)
	cc, dec := rawClient(t, a, false)
	head, body, tail := []byte{1, 2, 3, 4}, bytes.Repeat([]byte{9}, 1000), []byte{7, 7}
	if taken, err := cc.TryWriteFramed(head, body, tail); !taken || err != nil || cc.Pending() {
		t.Fatalf("taken %v, %v, pending %v", taken, err, cc.Pending())
	}
	want := append(append(append([]byte{}, head...), body...), tail...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	dec.XORKeyStream(got, got)
	if !bytes.Equal(got, want) {
		t.Fatal("the client read something else than head, body and tail")
	}
}
