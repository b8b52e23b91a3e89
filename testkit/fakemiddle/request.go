package fakemiddle

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Message types, from the protocol description.
const (
	typeNonce          = 0x7acb87aa
	typeHandshake      = 0x7682eef5
	typeHandshakeError = 0x6a27beda
	typeProxyReq       = 0x36cef1ee
	typeProxyAns       = 0x4403da0d
	typeSimpleAck      = 0x3bac409b
	typeCloseExt       = 0x5eb634a2
	typeCloseConn      = 0x1fcf425d
	typePing           = 0x5730a2df
	typePong           = 0x8430eaa7

	tlProxyTag = 0xdb1e26ae
)

// RPC_PROXY_REQ flags.
const (
	FlagNotEncrypted = 0x2
	FlagHasAdTag     = 0x8
	FlagMagic        = 0x1000
	FlagExtMode2     = 0x20000
	FlagPadded       = 0x8000000
	FlagIntermediate = 0x20000000
	FlagAbridged     = 0x40000000
	FlagQuickAck     = 0x80000000

	knownFlags = FlagNotEncrypted | FlagHasAdTag | FlagMagic | FlagExtMode2 | FlagPadded |
		FlagIntermediate | FlagAbridged | FlagQuickAck
)

// Request is one RPC_PROXY_REQ as the fake middle proxy decoded it.
type Request struct {
	// Conn numbers the RPC connection it arrived on (1, 2, ... in
	// accept order).
	Conn   int
	ConnID uint64
	Flags  uint32
	// Client is the client's address, Proxy the proxy's (public) one.
	Client, Proxy netip.AddrPort
	// Tag is the ad tag of the extra block, nil when none.
	Tag []byte
	// Packet is the client's MTProto packet.
	Packet []byte
}

// QuickAck reports whether the client asked for a quick ACK.
func (r *Request) QuickAck() bool { return r.Flags&FlagQuickAck != 0 }

// parseRequest decodes an RPC_PROXY_REQ and checks every field against
// the protocol and o, returning the violations found.
func parseRequest(p []byte, o *Options) (*Request, []string) {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if len(p) < 56 {
		return nil, []string{fmt.Sprintf("RPC_PROXY_REQ of %d bytes, shorter than its fixed part", len(p))}
	}
	r := &Request{Flags: binary.LittleEndian.Uint32(p[4:]), ConnID: binary.LittleEndian.Uint64(p[8:])}
	var ok bool
	if r.Client, ok = addr(p[16:36]); !ok {
		fail("client address %x is neither IPv4-mapped nor IPv6, or its port is invalid", p[16:36])
	}
	if r.Proxy, ok = addr(p[36:56]); !ok {
		fail("proxy address %x is neither IPv4-mapped nor IPv6, or its port is invalid", p[36:56])
	}
	rest := p[56:]
	f := r.Flags
	if f&^knownFlags != 0 {
		fail("unknown flag bits 0x%x", f&^knownFlags)
	}
	if f&FlagMagic == 0 || f&FlagExtMode2 == 0 {
		fail("flags 0x%x lack magic 0x1000 or extmode2 0x20000", f)
	}
	if (f&FlagAbridged != 0) == (f&FlagIntermediate != 0) {
		fail("flags 0x%x must set exactly one of abridged and intermediate", f)
	}
	if f&FlagPadded != 0 && f&FlagIntermediate == 0 {
		fail("flags 0x%x: padded without intermediate", f)
	}
	if r.ConnID == 0 {
		fail("conn id 0: answers could not be routed back")
	}
	if f&FlagHasAdTag != 0 {
		tag, n, err := extraBlock(rest)
		if err != "" {
			fail("%s", err)
		} else {
			r.Tag = tag
			rest = rest[n:]
		}
	}
	switch {
	case o.ExpectTag == nil && r.Tag != nil:
		fail("ad tag %x sent, none expected", r.Tag)
	case o.ExpectTag != nil && !bytes.Equal(r.Tag, o.ExpectTag[:]):
		fail("ad tag %x, want %x", r.Tag, o.ExpectTag[:])
	}
	if o.ExpectProxyAddr.IsValid() && r.Proxy != o.ExpectProxyAddr {
		fail("proxy address %s, want %s", r.Proxy, o.ExpectProxyAddr)
	}
	r.Packet = append([]byte(nil), rest...)
	switch {
	case len(r.Packet) == 0 || len(r.Packet)%4 != 0:
		fail("packet of %d bytes", len(r.Packet))
	case len(r.Packet) >= 8:
		plain := binary.LittleEndian.Uint64(r.Packet) == 0
		if plain != (f&FlagNotEncrypted != 0) {
			fail("not-encrypted flag %v for a packet with auth_key_id %x", f&FlagNotEncrypted != 0, r.Packet[:8])
		}
	}
	return r, bad
}

// addr decodes 16 address bytes (IPv4 as IPv4-mapped IPv6, IPv6 as is)
// and a u32 port. The unspecified address, and IPv4 not mapped (the
// IPv4-compatible ::a.b.c.d form), are errors.
func addr(b []byte) (netip.AddrPort, bool) {
	ip := netip.AddrFrom16([16]byte(b[:16]))
	port := binary.LittleEndian.Uint32(b[16:])
	v4compat := [12]byte(b[:12]) == [12]byte{}
	ok := port != 0 && port <= 0xffff && !ip.IsUnspecified() && (ip.Is4In6() || !v4compat || ip.IsLoopback())
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), ok
}

// extraBlock decodes "size u32 | 0xdb1e26ae | TL string(16-byte tag)" and
// returns the tag and the bytes the block takes.
func extraBlock(b []byte) ([]byte, int, string) {
	if len(b) < 4 {
		return nil, 0, "ad tag flag set but no extra block"
	}
	size := int(binary.LittleEndian.Uint32(b))
	if size != 24 || len(b) < 4+size {
		return nil, 0, fmt.Sprintf("extra block size %d, want 24", size)
	}
	blk := b[4 : 4+size]
	if binary.LittleEndian.Uint32(blk) != tlProxyTag {
		return nil, 0, fmt.Sprintf("extra block starts with 0x%08x, want proxy tag 0xdb1e26ae", binary.LittleEndian.Uint32(blk))
	}
	if blk[4] != 16 {
		return nil, 0, fmt.Sprintf("ad tag TL string of length %d, want 16", blk[4])
	}
	if blk[21] != 0 || blk[22] != 0 || blk[23] != 0 {
		return nil, 0, fmt.Sprintf("ad tag TL string padding %x, want zeros", blk[21:24])
	}
	return append([]byte(nil), blk[5:21]...), 4 + size, ""
}
