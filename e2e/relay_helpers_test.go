package e2e

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// echo sends a random packet and expects it back unchanged (the fake DC
// echoes what it does not know). With quickAck it first expects the token
// the fake DC derives from the packet, relayed untouched.
func echo(t testing.TB, c *client.Conn, size int, quickAck bool) {
	t.Helper()
	pkt := make([]byte, size)
	rand.Read(pkt)
	pkt[0] = 0xff // not a constructor the fake DC knows: echoed
	c.SetDeadline(time.Now().Add(safety))
	defer c.SetDeadline(time.Time{})
	if err := c.WritePacket(pkt, quickAck); err != nil {
		t.Fatalf("write: %v", err)
	}
	if quickAck {
		got, err := c.ReadPacket()
		if err != nil {
			t.Fatalf("reading the quick ACK: %v", err)
		}
		if want := fakedc.QuickAckToken(pkt); !got.QuickAck || got.Token != want {
			t.Fatalf("got %+v, want quick ACK token %#x", got, want)
		}
	}
	got, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if got.QuickAck || !bytes.Equal(got.Data, pkt) {
		t.Fatalf("echo of %d bytes came back as %d bytes (quick ack %v), not identical", size, len(got.Data), got.QuickAck)
	}
}

// download asks the fake DC for total bytes of its pattern in chunk-sized
// packets and checks every byte.
func download(t testing.TB, c *client.Conn, total uint64, chunk uint32) {
	t.Helper()
	c.SetDeadline(time.Now().Add(safety))
	defer c.SetDeadline(time.Time{})
	req := fakedc.BulkRequest{Op: fakedc.OpDownload, Total: total, Chunk: chunk}
	if err := c.WritePacket(req.Append(nil), false); err != nil {
		t.Fatalf("bulk request: %v", err)
	}
	var off uint64
	for off < total {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatalf("download at %d of %d: %v", off, total, err)
		}
		if p.QuickAck {
			t.Fatalf("unexpected quick ACK at %d", off)
		}
		if i := fakedc.CheckPattern(p.Data, off); i >= 0 {
			t.Fatalf("download: byte %d differs from the pattern", off+uint64(i))
		}
		off += uint64(len(p.Data))
	}
	if off != total {
		t.Fatalf("downloaded %d bytes, want %d", off, total)
	}
}

// upload sends total bytes of the pattern in chunk-sized packets; the fake
// DC checks them and reports.
func upload(t testing.TB, c *client.Conn, total uint64, chunk uint32) {
	t.Helper()
	c.SetDeadline(time.Now().Add(safety))
	defer c.SetDeadline(time.Time{})
	req := fakedc.BulkRequest{Op: fakedc.OpUpload, Total: total, Chunk: chunk}
	if err := c.WritePacket(req.Append(nil), false); err != nil {
		t.Fatalf("bulk request: %v", err)
	}
	buf := make([]byte, chunk)
	for off := uint64(0); off < total; {
		n := min(uint64(chunk), total-off)
		fakedc.FillPattern(buf[:n], off)
		if err := c.WritePacket(buf[:n], false); err != nil {
			t.Fatalf("upload at %d: %v", off, err)
		}
		off += n
	}
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("reading the upload report: %v", err)
	}
	rep, err := fakedc.ParseBulkReport(p.Data)
	if err != nil {
		t.Fatalf("upload report: %v", err)
	}
	if rep.Received != total || rep.FirstBad != -1 {
		t.Fatalf("the DC received %d of %d bytes, first bad byte at %d", rep.Received, total, rep.FirstBad)
	}
}

// chopper is a TCP forwarder in front of the proxy that cuts the first
// bytes a client sends into many small writes, as a slow or fragmenting
// network would: the proxy must reassemble a handshake from partial reads.
type chopper struct {
	ln     net.Listener
	target string
	piece  int // bytes per write
	first  int // how many leading bytes are chopped
	wg     sync.WaitGroup
}

// startChopper forwards connections to target, sending the first `first`
// bytes of each in writes of `piece` bytes.
func startChopper(t testing.TB, target string, piece, first int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &chopper{ln: ln, target: target, piece: piece, first: first}
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(func() { ln.Close(); c.wg.Wait() })
	return ln.Addr().String()
}

func (c *chopper) accept() {
	defer c.wg.Done()
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.serve(in)
		}()
	}
}

func (c *chopper) serve(in net.Conn) {
	defer in.Close()
	out, err := net.Dial("tcp", c.target)
	if err != nil {
		return
	}
	defer out.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(in, out)
		in.Close()
		close(done)
	}()
	buf := make([]byte, c.first)
	sent := 0
	for sent < c.first {
		n, err := in.Read(buf[:c.first-sent])
		for p := buf[:n]; len(p) > 0; {
			k := min(c.piece, len(p))
			if _, werr := out.Write(p[:k]); werr != nil {
				return
			}
			p = p[k:]
			// Let each piece leave as its own segment (TCP_NODELAY is
			// Go's default); the proxy then sees partial reads.
			time.Sleep(time.Millisecond)
		}
		sent += n
		if err != nil {
			return
		}
	}
	io.Copy(out, in)
	out.(*net.TCPConn).CloseWrite()
	<-done
}
