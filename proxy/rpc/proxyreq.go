package rpc

import (
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
	flagHTTPInfo   = 0x4 // the extra block holds tlHTTPQueryInf
	adTagBlockSize = 4 + 4 + 1 + 16 + 3
	proxyReqFixed  = 4 + 4 + 8 + 16 + 4 + 16 + 4
)

// AdTag is the 16-byte advertising tag issued by @MTProxybot.
type AdTag [16]byte

// RequestFlags computes the flags of an RPC_PROXY_REQ as the official proxy
// does for an obfuscated2 (or FakeTLS) client: FlagMagic | FlagExtMode2,
// the transport bit, FlagQuickAck when the client's length word asked for
// one, FlagHasAdTag when a tag is sent, FlagNotEncrypted for a packet whose
// auth_key_id is 0 (the caller classifies packets: proxy/middle does).
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

func appendAddr(dst []byte, a netip.AddrPort) []byte {
	ip := a.Addr().As16() // IPv4 comes out IPv4-mapped; the zero Addr as zeros
	dst = append(dst, ip[:]...)
	return appendU32(dst, uint32(a.Port()))
}
