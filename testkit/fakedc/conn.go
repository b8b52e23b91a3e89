package fakedc

import (
	"crypto/cipher"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// ConnInfo is a snapshot of what the DC saw on one connection.
type ConnInfo struct {
	ID        uint64 // 1, 2, ... in accept order
	Remote    string // the peer's address (the proxy's outgoing socket)
	Opened    time.Time
	HeaderOK  bool              // a valid header arrived
	DC        int16             // from the header, as sent
	Transport framing.Transport // from the header's tag; 0 before it
	Packets   int64             // packets read (Packets mode)
	BytesIn   int64             // decrypted bytes read after the header
	BytesOut  int64             // plaintext bytes written (before encryption)
	ReqPQ     int               // req_pq_multi messages answered
	ReqDH     []byte            // the first req_DH_params message, nil until one came
	Bulk      int               // bulk transfers completed
	Closed    bool
	Err       error // why the connection ended, nil for a clean close by either side
}

// conn is the DC's state for one connection. Counters are atomics read by
// snapshots while the connection goroutine updates them; the rest is
// guarded by the DC's mutex.
type conn struct {
	nc     net.Conn
	id     uint64
	remote string
	opened time.Time

	packets, bytesIn, bytesOut atomic.Int64

	// Guarded by DC.mu.
	headerOK  bool
	dc        int16
	transport framing.Transport
	reqPQ     int
	reqDH     []byte
	bulk      int
	closed    bool
	err       error
}

// info returns a snapshot; the caller holds DC.mu.
func (c *conn) info() ConnInfo {
	return ConnInfo{
		ID: c.id, Remote: c.remote, Opened: c.opened,
		HeaderOK: c.headerOK, DC: c.dc, Transport: c.transport,
		Packets: c.packets.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		ReqPQ: c.reqPQ, ReqDH: c.reqDH, Bulk: c.bulk,
		Closed: c.closed, Err: c.err,
	}
}

// decReader decrypts what it reads in place and counts it.
type decReader struct {
	c  *conn
	s  cipher.Stream
	st *counters
}

func (r *decReader) Read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	if n > 0 {
		r.s.XORKeyStream(p[:n], p[:n])
		r.c.bytesIn.Add(int64(n))
		r.st.bytesIn.Add(int64(n))
	}
	return n, err
}

// encWriter encrypts into its own buffer (the caller's bytes stay
// untouched, as io.Writer requires) and counts what it writes.
type encWriter struct {
	c   *conn
	s   cipher.Stream
	st  *counters
	buf []byte
}

// encChunk bounds encWriter's buffer. A packet up to it goes out in one
// write, as a server writes a packet it has assembled: a 16 KiB chunk
// once split every 16 KiB echo packet (16,388 bytes and more with its
// header) into two writes, and a proxy that read between them made two
// reads and two writes of it, the second of 4 to 7 bytes.
const encChunk = 1 << 20

func (w *encWriter) Write(p []byte) (int, error) {
	if need := min(len(p), encChunk); len(w.buf) < need {
		w.buf = make([]byte, max(need, 16<<10))
	}
	done := 0
	for done < len(p) {
		chunk := p[done:min(len(p), done+len(w.buf))]
		w.s.XORKeyStream(w.buf, chunk)
		n, err := w.writeRaw(w.buf[:len(chunk)])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// writeInPlace encrypts b in place and writes it: for buffers the DC owns.
func (w *encWriter) writeInPlace(b []byte) (int, error) {
	w.s.XORKeyStream(b, b)
	return w.writeRaw(b)
}

func (w *encWriter) writeRaw(b []byte) (int, error) {
	n, err := w.c.nc.Write(b)
	w.c.bytesOut.Add(int64(n))
	w.st.bytesOut.Add(int64(n))
	return n, err
}

// bufPool lends the large buffers of bulk transfers and busy raw echoes.
type bufPool struct{ p sync.Pool }

func newBufPool(size int) *bufPool {
	bp := &bufPool{}
	bp.p.New = func() any { b := make([]byte, size); return &b }
	return bp
}

func (bp *bufPool) get() *[]byte  { return bp.p.Get().(*[]byte) }
func (bp *bufPool) put(b *[]byte) { bp.p.Put(b) }
