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
