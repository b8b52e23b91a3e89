package faketls

import (
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// maxRecordsPerWrite bounds how many records one underlying write carries
// (1 MiB of payload), which bounds the header scratch space of a Conn.
const maxRecordsPerWrite = 64

// Conn is a net.Conn speaking application-data records over an established
// FakeTLS connection: Read returns the unwrapped payload, Write frames its
// data in records of at most MaxRecordPayload. It is meant for test clients
// and load generators (testkit/client, mtbench); the engine does not use it:
// both of its upstream paths, the direct relay and the middle proxy, go
// through proxy.ClientConn, which strips records with an [Unwrapper] and
// frames with [PutRecordHeader] in its own buffers. Like any net.Conn it may
// be read and written from different goroutines at once.
type Conn struct {
	c net.Conn

	rmu sync.Mutex
	u   Unwrapper

	wmu  sync.Mutex
	hdrs []byte      // record headers of the write in progress
	bufs net.Buffers // headers and payload chunks interleaved
}

// NewConn wraps c, whose handshake is complete, in record framing.
func NewConn(c net.Conn) *Conn { return &Conn{c: c} }

// Read reads records from the connection into p and returns the payload
// bytes among them, unwrapped in place in p. A connection ending inside a
// record gives io.ErrUnexpectedEOF; record errors are those of Unwrapper.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		n, err := c.c.Read(p)
		out, uerr := c.u.Unwrap(p[:n])
		if uerr != nil {
			return len(out), uerr
		}
		if err == io.EOF && c.u.Pending() {
			err = io.ErrUnexpectedEOF
		}
		if len(out) > 0 || err != nil {
			return len(out), err
		}
	}
}

// Write sends p as application-data records of at most MaxRecordPayload
// bytes, with one vectored write (writev on TCP) per up to 64 records. It
// returns how many bytes of p were sent.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	sent := 0
	for sent < len(p) {
		batch := p[sent:min(len(p), sent+maxRecordsPerWrite*MaxRecordPayload)]
		n, err := c.writeBatch(batch)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// writeBatch writes p, at most maxRecordsPerWrite records' worth, in one
// vectored write and returns how much of p went out.
func (c *Conn) writeBatch(p []byte) (int, error) {
	records := (len(p) + MaxRecordPayload - 1) / MaxRecordPayload
	c.hdrs = slices.Grow(c.hdrs[:0], records*RecordHeaderLen)[:records*RecordHeaderLen]
	c.bufs = c.bufs[:0]
	for i := range records {
		chunk := p[i*MaxRecordPayload : min(len(p), (i+1)*MaxRecordPayload)]
		h := c.hdrs[i*RecordHeaderLen : (i+1)*RecordHeaderLen]
		PutRecordHeader(h, len(chunk))
		c.bufs = append(c.bufs, h, chunk)
	}
	bufs := c.bufs // WriteTo consumes its receiver; keep c.bufs' backing array
	wrote, err := bufs.WriteTo(c.c)
	clear(c.bufs) // do not pin the caller's p
	return payloadSent(int(wrote), len(p)), err
}

// payloadSent converts bytes written (headers included) into payload bytes
// of a len(p)-byte write framed in full records.
func payloadSent(wrote, total int) int {
	sent := 0
	for wrote > RecordHeaderLen && sent < total {
		wrote -= RecordHeaderLen
		n := min(wrote, MaxRecordPayload, total-sent)
		sent += n
		wrote -= n
	}
	return sent
}

// Close closes the underlying connection.
func (c *Conn) Close() error { return c.c.Close() }

// LocalAddr returns the underlying connection's local address.
func (c *Conn) LocalAddr() net.Addr { return c.c.LocalAddr() }

// RemoteAddr returns the underlying connection's remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }

// SetDeadline sets the underlying connection's deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

// SetReadDeadline sets the underlying connection's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// SetWriteDeadline sets the underlying connection's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.c.SetWriteDeadline(t) }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.c }
