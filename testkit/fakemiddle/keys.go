package fakemiddle

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"net/netip"
)

// deriveKey computes one direction's AES key and IV as the spec gives it:
//
//	s = nonce_srv | nonce_clt | clt_ts | srv_ip (octets reversed) | clt_port |
//	    purpose | clt_ip (octets reversed) | srv_port | secret | nonce_srv |
//	    [clt_ipv6 | srv_ipv6] | nonce_clt
//	key = MD5(s[1:])[:12] | SHA1(s);  iv = MD5(s[2:])
//
// purpose is "CLIENT" for what the client sends, "SERVER" for what it
// receives. For IPv6 both IPv4 fields are zero.
func deriveKey(nonceSrv, nonceClt [16]byte, cltTS uint32, srv, clt netip.AddrPort, secret []byte, purpose string) (key [32]byte, iv [16]byte) {
	s := make([]byte, 0, 128+len(secret))
	s = append(s, nonceSrv[:]...)
	s = append(s, nonceClt[:]...)
	s = binary.LittleEndian.AppendUint32(s, cltTS)
	v6 := !clt.Addr().Unmap().Is4()
	s = append(s, reversedV4(srv.Addr(), v6)...)
	s = binary.LittleEndian.AppendUint16(s, clt.Port())
	s = append(s, purpose...)
	s = append(s, reversedV4(clt.Addr(), v6)...)
	s = binary.LittleEndian.AppendUint16(s, srv.Port())
	s = append(s, secret...)
	s = append(s, nonceSrv[:]...)
	if v6 {
		c, d := clt.Addr().As16(), srv.Addr().As16()
		s = append(s, c[:]...)
		s = append(s, d[:]...)
	}
	s = append(s, nonceClt[:]...)
	m := md5.Sum(s[1:])
	h := sha1.Sum(s)
	copy(key[:12], m[:12])
	copy(key[12:], h[:])
	iv = md5.Sum(s[2:])
	return key, iv
}

func reversedV4(a netip.Addr, v6 bool) []byte {
	if v6 {
		return []byte{0, 0, 0, 0}
	}
	b := a.Unmap().As4()
	return []byte{b[3], b[2], b[1], b[0]}
}
