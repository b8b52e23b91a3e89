package rpc

import (
	"errors"
	"fmt"
	"net/netip"
)

// The middle proxy's side of the protocol, for the tests of this package
// only: encoders of what a middle proxy sends and decoders of what it
// receives, checked against the client's encoders and decoders. The proxy
// never plays the server; testkit/fakemiddle implements that side again,
// independently, so that a misreading of the protocol shared by both sides
// of this package would still be caught end to end.

const tlHTTPQueryInf = 0xd45ab381 // sent by the official proxy for HTTP clients only

var (
	// errBadField: a field value out of range, e.g. a port above 65535.
	errBadField = errors.New("rpc: bad field value")
	// errExtraBlock: a malformed extra block (ad tag) in an RPC_PROXY_REQ.
	errExtraBlock = errors.New("rpc: malformed RPC_PROXY_REQ extra block")
)

// appendProxyAns appends an RPC_PROXY_ANS carrying data to dst.
func appendProxyAns(dst []byte, flags uint32, connID uint64, data []byte) []byte {
	dst = appendU32(dst, uint32(TypeProxyAns))
	dst = appendU32(dst, flags)
	dst = appendU64(dst, connID)
	return append(dst, data...)
}

// appendSimpleAck appends an RPC_SIMPLE_ACK to dst.
func appendSimpleAck(dst []byte, connID uint64, confirm uint32) []byte {
	dst = appendU32(dst, uint32(TypeSimpleAck))
	dst = appendU64(dst, connID)
	return appendU32(dst, confirm)
}

// appendCloseExt appends an RPC_CLOSE_EXT to dst.
func appendCloseExt(dst []byte, connID uint64) []byte {
	return appendU64(appendU32(dst, uint32(TypeCloseExt)), connID)
}

// parseCloseConn decodes an RPC_CLOSE_CONN and returns its connection id.
func parseCloseConn(b []byte) (uint64, error) {
	if err := expect(b, TypeCloseConn, CloseConnSize, false); err != nil {
		return 0, err
	}
	return u64(b[4:]), nil
}

// appendHandshakeError appends the RPC_HANDSHAKE_ERROR message e to dst.
func appendHandshakeError(dst []byte, e HandshakeError) []byte {
	dst = appendU32(dst, uint32(TypeHandshakeError))
	dst = appendU32(dst, uint32(e.Code))
	return appendPID(dst, e.Sender)
}

// reverse returns the keys as the server uses them (its write key is the
// client's read key).
func reverse(k Keys) Keys {
	return Keys{WriteKey: k.ReadKey, WriteIV: k.ReadIV, ReadKey: k.WriteKey, ReadIV: k.WriteIV}
}

// appendProxyReq appends a whole RPC_PROXY_REQ carrying packet to dst.
func appendProxyReq(dst []byte, r *ProxyReq, packet []byte) []byte {
	return append(AppendProxyReqHeader(dst, r), packet...)
}

func parseAddr(b []byte) (netip.AddrPort, error) {
	ip := netip.AddrFrom16([16]byte(b[:16])).Unmap()
	port := u32(b[16:])
	if port > 0xffff {
		return netip.AddrPort{}, fmt.Errorf("%w: port %d", errBadField, port)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// parseProxyReq decodes an RPC_PROXY_REQ, returning the header and the
// packet (aliasing b). IPv4-mapped addresses come back as IPv4. The extra
// block may hold the ad tag and the HTTP query info the official proxy adds
// for HTTP clients; anything else is an error. A present ad tag is copied
// (one allocation).
func parseProxyReq(b []byte) (ProxyReq, []byte, error) {
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
		return ProxyReq{}, nil, fmt.Errorf("%w: no size", errExtraBlock)
	}
	size := u32(rest)
	if size%4 != 0 || uint64(size) > uint64(len(rest)-4) {
		return ProxyReq{}, nil, fmt.Errorf("%w: size %d", errExtraBlock, size)
	}
	tag, err := parseExtra(rest[4 : 4+size])
	if err != nil {
		return ProxyReq{}, nil, err
	}
	if (tag != nil) != (r.Flags&FlagHasAdTag != 0) {
		return ProxyReq{}, nil, fmt.Errorf("%w: ad tag flag and block disagree", errExtraBlock)
	}
	r.AdTag = tag
	return r, rest[4+size:], nil
}

// parseExtra walks the TL items of an extra block.
func parseExtra(b []byte) (*AdTag, error) {
	var tag *AdTag
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated item", errExtraBlock)
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
			return nil, fmt.Errorf("%w: unknown item 0x%08x", errExtraBlock, id)
		}
		for i := range count {
			s, n, err := parseTLString(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			if id == tlProxyTag && i == 0 {
				if len(s) != len(AdTag{}) {
					return nil, fmt.Errorf("%w: ad tag of %d bytes", errExtraBlock, len(s))
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
		return nil, 0, fmt.Errorf("%w: truncated string", errExtraBlock)
	}
	n, hdr := int(b[0]), 1
	if n == 0xfe {
		if len(b) < 4 {
			return nil, 0, fmt.Errorf("%w: truncated string", errExtraBlock)
		}
		n, hdr = int(u32(b)>>8), 4
	} else if n == 0xff {
		return nil, 0, fmt.Errorf("%w: bad string length", errExtraBlock)
	}
	total := (hdr + n + 3) &^ 3
	if total > len(b) {
		return nil, 0, fmt.Errorf("%w: truncated string", errExtraBlock)
	}
	return b[hdr : hdr+n], total, nil
}
