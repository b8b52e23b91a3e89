package rpc

import (
	"fmt"
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// RPC_PROXY_REQ flags. The official proxy copies them from the client
// connection's state (RPC_F_* in net/net-tcp-rpc-common.h, the mask in
// ext_rpcs_execute and the additions in forward_tcp_query and
// forward_mtproto_packet, mtproto/mtproto-proxy.c).
const (
	FlagNotEncrypted uint32 = 0x2        // the packet's auth_key_id is 0
	FlagHasAdTag     uint32 = 0x8        // an extra block with the ad tag follows the addresses
	FlagMagic        uint32 = 0x1000     // always set for MTProto-over-TCP clients
	FlagExtMode2     uint32 = 0x20000    // RPC_F_EXTMODE2: obfuscated2 client
	FlagPadded       uint32 = 0x8000000  // RPC_F_PAD: never sent by the official proxy, see RequestFlags
	FlagIntermediate uint32 = 0x20000000 // RPC_F_MEDIUM: intermediate or padded intermediate
	FlagAbridged     uint32 = 0x40000000 // RPC_F_COMPACT: abridged
	FlagQuickAck     uint32 = 0x80000000 // the client asked for a quick ACK of this packet
)

// Extra block constants (forward_tcp_query): the block is
// extra_size u32 | TL_PROXY_TAG | TL string(tag), the TL string of 16 bytes
// being 0x10, the tag, 3 zero bytes.
const (
	tlProxyTag     = 0xdb1e26ae
	tlHTTPQueryInf = 0xd45ab381 // sent by the official proxy for HTTP clients only
	flagHTTPInfo   = 0x4        // the extra block holds tlHTTPQueryInf
	adTagBlockSize = 4 + 4 + 1 + 16 + 3
	proxyReqFixed  = 4 + 4 + 8 + 16 + 4 + 16 + 4
)

// AdTag is the 16-byte advertising tag issued by @MTProxybot.
type AdTag [16]byte

// RequestFlags computes the flags of an RPC_PROXY_REQ as the official proxy
// does for an obfuscated2 (or FakeTLS) client: FlagMagic | FlagExtMode2,
// the transport bit, FlagQuickAck when the client's length word asked for
// one, FlagHasAdTag when a tag is sent, FlagNotEncrypted for a packet whose
// auth_key_id is 0 (see Unencrypted).
//
// Padded intermediate ("dd") maps to FlagIntermediate alone: the official
// proxy marks such connections RPC_F_PAD but masks that bit out before
// forwarding (ext_rpcs_execute). alexbers/mtprotoproxy sends FlagPadded as
// well; a caller wanting that may OR it in.
func RequestFlags(t framing.Transport, quickAck, hasAdTag, unencrypted bool) uint32 {
	f := FlagMagic | FlagExtMode2
	switch t {
	case framing.Abridged:
		f |= FlagAbridged
	case framing.Intermediate, framing.Padded:
		f |= FlagIntermediate
	}
	if quickAck {
		f |= FlagQuickAck
	}
	if hasAdTag {
		f |= FlagHasAdTag
	}
	if unencrypted {
		f |= FlagNotEncrypted
	}
	return f
}

// Unencrypted reports whether an MTProto packet is a plaintext message,
// i.e. its first 8 bytes (auth_key_id) are zero (forward_mtproto_packet).
func Unencrypted(packet []byte) bool {
	return len(packet) >= 8 && u64(packet) == 0
}

// ProxyReq is the header of an RPC_PROXY_REQ (struct rpc_proxy_req):
//
//	type | flags u32 | conn_id u64 | client ip[16] | client port u32 |
//	proxy ip[16] | proxy port u32 | [extra block] | MTProto packet
//
// Addresses go as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), and
// ports as u32.
type ProxyReq struct {
	Flags      uint32         // see RequestFlags
	ConnID     uint64         // the pool's id for this client connection
	ClientAddr netip.AddrPort // the client as the proxy sees it
	ProxyAddr  netip.AddrPort // the proxy's public address the client connected to
	AdTag      *AdTag         // nil: no extra block
}

// ProxyReqHeaderSize returns the header size AppendProxyReqHeader writes.
func ProxyReqHeaderSize(hasAdTag bool) int {
	if hasAdTag {
		return proxyReqFixed + adTagBlockSize
	}
	return proxyReqFixed
}

// AppendProxyReqHeader appends the RPC_PROXY_REQ header for r to dst; the
// client's packet is to be appended after it. The extra block is written iff
// r.AdTag is non-nil, and FlagHasAdTag is set or cleared to agree with it
// (the HTTP-info bit 0x4, which would announce a block too, is cleared).
func AppendProxyReqHeader(dst []byte, r *ProxyReq) []byte {
	flags := r.Flags &^ (FlagHasAdTag | flagHTTPInfo)
	if r.AdTag != nil {
		flags |= FlagHasAdTag
	}
	dst = appendU32(dst, uint32(TypeProxyReq))
	dst = appendU32(dst, flags)
	dst = appendU64(dst, r.ConnID)
	dst = appendAddr(dst, r.ClientAddr)
	dst = appendAddr(dst, r.ProxyAddr)
	if r.AdTag != nil {
		dst = appendU32(dst, adTagBlockSize-4)
		dst = appendU32(dst, tlProxyTag)
		dst = append(dst, byte(len(r.AdTag)))
		dst = append(dst, r.AdTag[:]...)
		dst = append(dst, 0, 0, 0)
	}
	return dst
}

// AppendProxyReq appends a whole RPC_PROXY_REQ carrying packet to dst.
func AppendProxyReq(dst []byte, r *ProxyReq, packet []byte) []byte {
	return append(AppendProxyReqHeader(dst, r), packet...)
}

func appendAddr(dst []byte, a netip.AddrPort) []byte {
	ip := a.Addr().As16() // IPv4 comes out IPv4-mapped; the zero Addr as zeros
	dst = append(dst, ip[:]...)
	return appendU32(dst, uint32(a.Port()))
}

func parseAddr(b []byte) (netip.AddrPort, error) {
	ip := netip.AddrFrom16([16]byte(b[:16])).Unmap()
	port := u32(b[16:])
	if port > 0xffff {
		return netip.AddrPort{}, fmt.Errorf("%w: port %d", ErrBadField, port)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// ParseProxyReq decodes an RPC_PROXY_REQ, returning the header and the
// packet (aliasing b). IPv4-mapped addresses come back as IPv4. The extra
// block may hold the ad tag and the HTTP query info the official proxy adds
// for HTTP clients; anything else is an error. A present ad tag is copied
// (one allocation); ParseProxyReq serves tests and fake middle proxies, not
// the hot path.
func ParseProxyReq(b []byte) (ProxyReq, []byte, error) {
	if err := expect(b, TypeProxyReq, proxyReqFixed, true); err != nil {
		return ProxyReq{}, nil, err
	}
	r := ProxyReq{Flags: u32(b[4:]), ConnID: u64(b[8:])}
	var err error
	if r.ClientAddr, err = parseAddr(b[16:]); err != nil {
		return ProxyReq{}, nil, err
	}
	if r.ProxyAddr, err = parseAddr(b[36:]); err != nil {
		return ProxyReq{}, nil, err
	}
	rest := b[proxyReqFixed:]
	if r.Flags&(FlagHasAdTag|flagHTTPInfo) == 0 {
		return r, rest, nil
	}
	if len(rest) < 4 {
		return ProxyReq{}, nil, fmt.Errorf("%w: no size", ErrExtraBlock)
	}
	size := u32(rest)
	if size%4 != 0 || uint64(size) > uint64(len(rest)-4) {
		return ProxyReq{}, nil, fmt.Errorf("%w: size %d", ErrExtraBlock, size)
	}
	tag, err := parseExtra(rest[4 : 4+size])
	if err != nil {
		return ProxyReq{}, nil, err
	}
	if (tag != nil) != (r.Flags&FlagHasAdTag != 0) {
		return ProxyReq{}, nil, fmt.Errorf("%w: ad tag flag and block disagree", ErrExtraBlock)
	}
	r.AdTag = tag
	return r, rest[4+size:], nil
}

// parseExtra walks the TL items of an extra block.
func parseExtra(b []byte) (*AdTag, error) {
	var tag *AdTag
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated item", ErrExtraBlock)
		}
		id := u32(b)
		b = b[4:]
		count := 0
		switch id {
		case tlProxyTag:
			count = 1
		case tlHTTPQueryInf: // origin, referer, user agent
			count = 3
		default:
			return nil, fmt.Errorf("%w: unknown item 0x%08x", ErrExtraBlock, id)
		}
		for i := range count {
			s, n, err := parseTLString(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			if id == tlProxyTag && i == 0 {
				if len(s) != len(AdTag{}) {
					return nil, fmt.Errorf("%w: ad tag of %d bytes", ErrExtraBlock, len(s))
				}
				t := AdTag(s)
				tag = &t
			}
		}
	}
	return tag, nil
}

// parseTLString decodes a TL bytes/string: a length byte (< 254) or 0xfe and
// a 3-byte length, the data, zero padding to a multiple of 4. It returns the
// data and the bytes consumed.
func parseTLString(b []byte) ([]byte, int, error) {
	if len(b) == 0 {
		return nil, 0, fmt.Errorf("%w: truncated string", ErrExtraBlock)
	}
	n, hdr := int(b[0]), 1
	if n == 0xfe {
		if len(b) < 4 {
			return nil, 0, fmt.Errorf("%w: truncated string", ErrExtraBlock)
		}
		n, hdr = int(u32(b)>>8), 4
	} else if n == 0xff {
		return nil, 0, fmt.Errorf("%w: bad string length", ErrExtraBlock)
	}
	total := (hdr + n + 3) &^ 3
	if total > len(b) {
		return nil, 0, fmt.Errorf("%w: truncated string", ErrExtraBlock)
	}
	return b[hdr : hdr+n], total, nil
}
