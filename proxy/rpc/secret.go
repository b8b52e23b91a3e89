package rpc

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// Proxy secret bounds: MIN_PWD_LEN and MAX_PWD_LEN in net/net-crypto-aes.h.
// The file served by https://core.telegram.org/getProxySecret is 128 bytes.
const (
	MinProxySecretSize = 32
	MaxProxySecretSize = 256
)

// ProxySecret is the shared secret from getProxySecret, mixed into the
// middle-proxy session keys. Its first 4 bytes are the key selector sent in
// RPC_NONCE. The bytes are kept private and never printed: String and
// GoString show only the size and the (public) selector.
type ProxySecret struct {
	b []byte
}

// ParseProxySecret validates the contents of a getProxySecret file and
// returns a copy: 32..256 bytes (aes_load_pwd_file), a non-zero key selector
// (the middle proxy rejects key_select 0), and not printable text (an HTML
// error page or a hex dump instead of the binary file; random bytes are all
// printable with probability about 1e-53 at 128 bytes).
func ParseProxySecret(b []byte) (*ProxySecret, error) {
	if len(b) < MinProxySecretSize || len(b) > MaxProxySecretSize {
		return nil, fmt.Errorf("%w: got %d", ErrProxySecretSize, len(b))
	}
	if binary.LittleEndian.Uint32(b) == 0 {
		return nil, ErrProxySecretSelector
	}
	if isText(b) {
		return nil, ErrProxySecretText
	}
	return &ProxySecret{b: append([]byte(nil), b...)}, nil
}

func isText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// KeySelector returns the first 4 bytes read little-endian, the value of
// RPC_NONCE key_select (key_signature in net/net-crypto-aes.h: the same
// bytes on the wire).
func (s *ProxySecret) KeySelector() uint32 {
	return binary.LittleEndian.Uint32(s.b)
}

// Len returns the secret's size in bytes.
func (s *ProxySecret) Len() int { return len(s.b) }

// Equal reports, in constant time, whether s and o hold the same bytes;
// useful to tell whether a refreshed file changed.
func (s *ProxySecret) Equal(o *ProxySecret) bool {
	if s == nil || o == nil {
		return s == o
	}
	return subtle.ConstantTimeCompare(s.b, o.b) == 1
}

// String describes the secret without revealing it.
func (s *ProxySecret) String() string {
	if s == nil {
		return "rpc.ProxySecret(nil)"
	}
	return fmt.Sprintf("rpc.ProxySecret(%d bytes, selector %08x)", len(s.b), s.KeySelector())
}

// GoString is String, so that %#v does not print the bytes either.
func (s *ProxySecret) GoString() string { return s.String() }
