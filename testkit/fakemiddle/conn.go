package fakemiddle

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// handshakeTimeout bounds the client's side of the handshake.
const handshakeTimeout = 5 * time.Second

// conn is one accepted RPC connection.
type conn struct {
	s  *Server
	nc net.Conn
	id int
	r  *reader

	wmu sync.Mutex
	w   *writer

	mu  sync.Mutex
	ids map[uint64]bool // connection ids seen on this connection

	dead atomic.Bool // closed by DropAll or Close
}

func (c *conn) carries(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[id]
}

// sendMsg frames and sends one message (encrypted once the handshake is done).
func (c *conn) sendMsg(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.send(c.w.frame(nil, p))
}

func (c *conn) serve() {
	defer c.nc.Close()
	mode := Mode(c.s.mode.Load())
	if mode == ModeCloseOnAccept {
		return
	}
	c.r, c.w = newReader(c.nc), newWriter(c.nc)
	_ = c.nc.SetDeadline(time.Now().Add(handshakeTimeout))
	if reason, err := c.handshake(mode); err != nil {
		c.s.fail(reason)
		return
	}
	_ = c.nc.SetDeadline(time.Time{})
	c.s.mu.Lock()
	c.s.handshakes++
	c.s.mu.Unlock()
	c.loop()
}

// handshake runs the server side; on failure it returns the reason
// recorded in Stats.Failures.
func (c *conn) handshake(mode Mode) (string, error) {
	o := &c.s.o
	p, err := c.r.next()
	if err != nil {
		return "closed", err
	}
	if len(p) != 32 || binary.LittleEndian.Uint32(p) != typeNonce {
		c.s.violate(fmt.Sprintf("first frame is not a 32-byte RPC_NONCE: %x", p))
		return "bad_nonce", errors.New("bad nonce")
	}
	sel, schema, ts := binary.LittleEndian.Uint32(p[4:]), binary.LittleEndian.Uint32(p[8:]), binary.LittleEndian.Uint32(p[12:])
	var cltNonce [16]byte
	copy(cltNonce[:], p[16:])
	switch {
	case sel != binary.LittleEndian.Uint32(o.Secret):
		return "bad_key_selector", errors.New("key selector")
	case schema != 1:
		return "bad_schema", errors.New("schema")
	}
	now := time.Now().Add(o.ClockSkew)
	if d := int64(ts) - now.Unix(); (d > 30 || d < -30) && !o.NoTimeCheck {
		return "clock_skew", errors.New("clock skew")
	}
	switch mode {
	case ModeSilent:
		_, _ = c.r.next() // until the client gives up
		return "silent", errors.New("silent")
	case ModeGarbage:
		// An HTTP answer where a frame should be: its first word, read
		// as a frame length, is far too large.
		_ = c.w.raw([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
		_, _ = c.r.next()
		return "garbage", errors.New("garbage")
	}
	if o.HandshakeDelay > 0 {
		time.Sleep(o.HandshakeDelay)
	}
	var srvNonce [16]byte
	_, _ = rand.Read(srvNonce[:])
	ours := u32(nil, typeNonce)
	ours = u32(ours, sel)
	ours = u32(ours, 1)
	ours = u32(ours, uint32(now.Unix()))
	ours = append(ours, srvNonce[:]...)
	if err := c.w.send(c.w.frame(nil, ours)); err != nil {
		return "closed", err
	}

	local := c.nc.LocalAddr().(*net.TCPAddr).AddrPort()
	remote := c.nc.RemoteAddr().(*net.TCPAddr).AddrPort()
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	if o.ExpectClientIP.IsValid() {
		remote = netip.AddrPortFrom(o.ExpectClientIP.Unmap(), remote.Port())
	}
	rk, riv := deriveKey(srvNonce, cltNonce, ts, local, remote, o.Secret, "CLIENT")
	wk, wiv := deriveKey(srvNonce, cltNonce, ts, local, remote, o.Secret, "SERVER")
	if err := c.r.enableCBC(rk[:], riv[:]); err != nil {
		return "local", err
	}
	if err := c.w.enableCBC(wk[:], wiv[:]); err != nil {
		return "local", err
	}

	p, err = c.r.next()
	switch {
	case errors.Is(err, errCRC), errors.Is(err, errLength), errors.Is(err, errSeq):
		// What a real middle proxy sees when the keys differ (NAT).
		return "bad_handshake_crypto", err
	case err != nil:
		return "closed", err
	case len(p) != 32 || binary.LittleEndian.Uint32(p) != typeHandshake:
		c.s.violate(fmt.Sprintf("second frame is not a 32-byte RPC_HANDSHAKE: %x", p))
		return "bad_handshake", errors.New("bad handshake")
	}
	flags := binary.LittleEndian.Uint32(p[4:])
	senderPID := append([]byte(nil), p[8:20]...)
	if port := binary.LittleEndian.Uint16(p[24:]); port != local.Port() {
		c.s.violate(fmt.Sprintf("handshake peer port %d, want %d", port, local.Port()))
	}
	if flags&^0x800 != 0 {
		c.s.violate(fmt.Sprintf("handshake flags 0x%x", flags))
	}
	myPID := u32(nil, 0) // ip 0 (loopback), port, pid, utime
	myPID = binary.LittleEndian.AppendUint16(myPID, local.Port())
	myPID = binary.LittleEndian.AppendUint16(myPID, 4242)
	myPID = u32(myPID, uint32(time.Now().Unix()))
	if mode == ModeRefuse {
		e := u32(nil, typeHandshakeError)
		e = u32(e, uint32(0xfffffffe)) // -2
		e = append(e, myPID...)
		_ = c.w.send(c.w.frame(nil, e))
		return "refused", errors.New("refused")
	}
	var reply uint32
	if flags&0x800 != 0 && !o.DisableCRC32C {
		reply = 0x800
	}
	hs := u32(nil, typeHandshake)
	hs = u32(hs, reply)
	hs = append(hs, myPID...)
	hs = append(hs, senderPID...)
	if err := c.w.send(c.w.frame(nil, hs)); err != nil {
		return "closed", err
	}
	if reply != 0 {
		c.r.crc, c.w.crc = crcC, crcC
	}
	return "", nil
}

// loop serves requests until the connection ends.
func (c *conn) loop() {
	for {
		for Mode(c.s.mode.Load()) == ModeStall {
			if c.dead.Load() {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		p, err := c.r.next()
		if err != nil {
			if errors.Is(err, errCRC) || errors.Is(err, errLength) || errors.Is(err, errSeq) {
				c.s.violate(fmt.Sprintf("conn %d: %v", c.id, err))
			}
			return
		}
		if len(p) < 4 {
			c.s.violate(fmt.Sprintf("conn %d: message of %d bytes", c.id, len(p)))
			return
		}
		switch t := binary.LittleEndian.Uint32(p); t {
		case typeProxyReq:
			c.request(p)
		case typeCloseConn:
			if len(p) != 12 {
				c.s.violate(fmt.Sprintf("RPC_CLOSE_CONN of %d bytes", len(p)))
				continue
			}
			c.s.closedConn(binary.LittleEndian.Uint64(p[4:]))
		case typePing:
			if len(p) != 12 {
				c.s.violate(fmt.Sprintf("RPC_PING of %d bytes", len(p)))
				continue
			}
			c.s.mu.Lock()
			c.s.pings++
			c.s.mu.Unlock()
			if Mode(c.s.mode.Load()) != ModeMute {
				_ = c.sendMsg(append(u32(nil, typePong), p[4:]...))
			}
		case typePong:
			if len(p) == 12 {
				c.s.mu.Lock()
				c.s.pongs = append(c.s.pongs, binary.LittleEndian.Uint64(p[4:]))
				c.s.mu.Unlock()
			}
		default:
			c.s.violate(fmt.Sprintf("conn %d: unexpected message type 0x%08x", c.id, t))
		}
	}
}

func (c *conn) request(p []byte) {
	r, bad := parseRequest(p, &c.s.o)
	c.s.violate(bad...)
	if r == nil {
		return
	}
	r.Conn = c.id
	c.mu.Lock()
	c.ids[r.ConnID] = true
	c.mu.Unlock()
	c.s.record(r)
	if Mode(c.s.mode.Load()) == ModeMute {
		return
	}
	if d := c.s.o.AnswerDelay; d > 0 {
		time.Sleep(d)
	}
	var out []byte
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if r.QuickAck() {
		ack := u32(nil, typeSimpleAck)
		ack = binary.LittleEndian.AppendUint64(ack, r.ConnID)
		ack = u32(ack, QuickAckToken(r.Packet))
		out = c.w.frame(out, ack)
	}
	for _, a := range c.s.answer(r) {
		out = c.w.frame(out, proxyAns(r.ConnID, a))
	}
	if len(out) > 0 {
		_ = c.w.send(out)
	}
}
