package rpc

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// KeyParams are the inputs of the middle-proxy session key derivation, seen
// from the proxy, which is the RPC client.
type KeyParams struct {
	ServerNonce [16]byte // from the server's RPC_NONCE
	ClientNonce [16]byte // from our RPC_NONCE
	ClientTime  uint32   // crypto_ts of our RPC_NONCE
	// ClientAddr is our address as the middle proxy sees it: the public IP
	// behind NAT (official --nat-info), the local port of the TCP connection.
	ClientAddr netip.AddrPort
	// ServerAddr is the middle proxy's address we connected to.
	ServerAddr netip.AddrPort
	Secret     *ProxySecret
}

// Keys are the AES-256-CBC keys of one connection. Write is the direction
// client to server ("CLIENT" in the derivation), Read the other ("SERVER").
type Keys struct {
	WriteKey [32]byte
	WriteIV  [16]byte
	ReadKey  [32]byte
	ReadIV   [16]byte
}

// Offsets in the derivation string.
const (
	kdPurpose = 42 // "CLIENT" / "SERVER"
	kdSecret  = 54
	kdMax     = kdSecret + MaxProxySecretSize + 16 + 32 + 16
)

// DeriveClientKeys computes the session keys (aes_create_keys in
// net/net-crypto-aes.c, called by tcp_rpcc_start_crypto in
// net/net-tcp-rpc-client.c with am_client = 1):
//
//	s = nonce_srv[16] | nonce_clt[16] | clt_ts u32 | srv_ip u32 | clt_port u16 |
//	    "CLIENT" | clt_ip u32 | srv_port u16 | proxy_secret | nonce_srv[16] |
//	    [clt_ipv6[16] | srv_ipv6[16]] | nonce_clt[16]
//	key = MD5(s[1:])[0:12] | SHA1(s)  (32 bytes)
//	iv  = MD5(s[2:])
//
// All integers little-endian. The IPv4 fields are the address as a host
// order number stored little-endian, i.e. the octets reversed (the C code
// stores c->remote_ip, a host-order value, through an unsigned*; alexbers
// reverses inet_pton's bytes; seriyps applies bin_rev). For IPv6 both IPv4
// fields are zero and the two 16-byte addresses, in network order, come
// between the second nonce_srv and the final nonce_clt. The read key is the
// same with "SERVER". The server nonce comes first; clt_ts is the time the
// client sent, not the server's.
func DeriveClientKeys(p KeyParams) (Keys, error) {
	if p.Secret == nil {
		return Keys{}, fmt.Errorf("%w: no secret", ErrProxySecretSize)
	}
	clt, srv := p.ClientAddr.Addr().Unmap(), p.ServerAddr.Addr().Unmap()
	if !clt.IsValid() || !srv.IsValid() || clt.IsUnspecified() || srv.IsUnspecified() {
		return Keys{}, fmt.Errorf("%w: missing or unspecified address", ErrAddress)
	}
	if clt.Is4() != srv.Is4() {
		return Keys{}, fmt.Errorf("%w: mixed IPv4 and IPv6", ErrAddress)
	}

	var s [kdMax]byte
	copy(s[0:], p.ServerNonce[:])
	copy(s[16:], p.ClientNonce[:])
	binary.LittleEndian.PutUint32(s[32:], p.ClientTime)
	binary.LittleEndian.PutUint16(s[40:], p.ClientAddr.Port())
	copy(s[kdPurpose:], "CLIENT")
	binary.LittleEndian.PutUint16(s[52:], p.ServerAddr.Port())
	if clt.Is4() {
		putIPv4(s[36:], srv)
		putIPv4(s[48:], clt)
	}
	n := kdSecret + copy(s[kdSecret:], p.Secret.b)
	n += copy(s[n:], p.ServerNonce[:])
	if !clt.Is4() {
		c6, s6 := clt.As16(), srv.As16()
		n += copy(s[n:], c6[:])
		n += copy(s[n:], s6[:])
	}
	n += copy(s[n:], p.ClientNonce[:])

	var k Keys
	deriveOne(s[:n], &k.WriteKey, &k.WriteIV)
	copy(s[kdPurpose:], "SERVER")
	deriveOne(s[:n], &k.ReadKey, &k.ReadIV)
	clear(s[:])
	return k, nil
}

// putIPv4 stores a as a host-order number, little-endian: octets reversed.
func putIPv4(b []byte, a netip.Addr) {
	v := a.As4()
	binary.LittleEndian.PutUint32(b, binary.BigEndian.Uint32(v[:]))
}

func deriveOne(s []byte, key *[32]byte, iv *[16]byte) {
	m := md5.Sum(s[1:])
	h := sha1.Sum(s)
	copy(key[:12], m[:12])
	copy(key[12:], h[:])
	*iv = md5.Sum(s[2:])
}
