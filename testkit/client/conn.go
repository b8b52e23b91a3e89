package client

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

// Packet is one message from the proxy: a packet, or a quick-ACK token.
type Packet struct {
	// Data is the packet's payload (for padded transports without the
	// padding); nil for a token. It is the caller's to keep.
	Data []byte
	// QuickAck marks a quick-ACK token instead of a packet.
	QuickAck bool
	// Token is the quick-ACK token as the server sent it (bit 31 set),
	// already byte-swapped back for abridged.
	Token uint32
}

// Conn is an established client connection. ReadPacket and WritePacket may
// be used from two goroutines at once; the packet and Raw interfaces must not
// be mixed on the reading side, since packet reads buffer.
type Conn struct {
	nc     net.Conn  // TCP
	rec    *recorder // nil unless Options.Record
	hs     *Handshake
	msgIDs mtproto.MsgIDs
	rnd    io.Reader

	rmu sync.Mutex
	r   cipher.StreamReader
	rd  *framing.Reader

	wmu  sync.Mutex
	w    *encWriter
	wr   *framing.Writer
	hold *holdConn // Options.Coalesce: the header, until the first write
}

// holdConn keeps what is written to it until flush, which sends it in one
// write; after that, writes go through.
type holdConn struct {
	net.Conn
	held []byte
	on   bool
}

func (h *holdConn) Write(p []byte) (int, error) {
	if h.on {
		h.held = append(h.held, p...)
		return len(p), nil
	}
	return h.Conn.Write(p)
}

// flush sends what was held; c.wmu is held.
func (c *Conn) flush(err error) error {
	h := c.hold
	if h == nil || !h.on {
		return err
	}
	h.on = false
	if _, werr := h.Conn.Write(h.held); err == nil {
		err = werr
	}
	h.held = nil
	return err
}

// WritePacket sends one packet; quickAck asks for a quick ACK. p must be a
// non-empty multiple of 4 bytes.
func (c *Conn) WritePacket(p []byte, quickAck bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flush(c.wr.WritePacket(p, quickAck))
}

// ReadPacket returns the next packet or quick-ACK token.
func (c *Conn) ReadPacket() (Packet, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	p, quickAck, err := c.rd.ReadPacket()
	if err != nil {
		return Packet{}, err
	}
	if quickAck {
		return Packet{QuickAck: true, Token: binary.LittleEndian.Uint32(p)}, nil
	}
	return Packet{Data: append([]byte(nil), p...)}, nil
}

// Raw returns the plaintext byte stream inside the obfuscation (and the
// FakeTLS records), for bulk transfers without framing.
func (c *Conn) Raw() io.ReadWriter { return rawStream{c} }

type rawStream struct{ c *Conn }

func (s rawStream) Read(p []byte) (int, error) {
	s.c.rmu.Lock()
	defer s.c.rmu.Unlock()
	return s.c.r.Read(p)
}

func (s rawStream) Write(p []byte) (int, error) {
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	n, err := s.c.w.Write(p)
	return n, s.c.flush(err)
}

// Handshake returns the handshake the connection made, with the bytes it
// sent and received.
func (c *Conn) Handshake() *Handshake { return c.hs }

// Written returns a copy of every byte the connection has written to the
// network, handshake included, when Options.Record was set; nil otherwise.
func (c *Conn) Written() []byte {
	if c.rec == nil {
		return nil
	}
	return c.rec.bytes()
}

// NetConn returns the TCP connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetDeadline sets the TCP connection's read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

// CloseWrite shuts the sending side of the TCP connection down.
func (c *Conn) CloseWrite() error {
	if err := netx.CloseWrite(c.nc); !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return c.nc.Close()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// encWriter encrypts into its own buffer, so callers' bytes stay untouched.
type encWriter struct {
	s   cipher.Stream
	w   io.Writer
	buf []byte
}

const encChunk = 64 << 10

func (e *encWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n := min(len(p)-done, encChunk)
		if cap(e.buf) < n {
			e.buf = make([]byte, min(max(n, 4<<10), encChunk))
		}
		b := e.buf[:n]
		e.s.XORKeyStream(b, p[done:done+n])
		m, err := e.w.Write(b)
		done += m
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// recorder is a net.Conn keeping a copy of everything written.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	r.mu.Lock()
	r.buf = append(r.buf, p[:n]...)
	r.mu.Unlock()
	return n, err
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.buf...)
}
