package faketls

import (
	"bytes"
	"fmt"
)

// TLS extension types and groups the server side shapes
// (extSupportedVersions is ja4.go's).
const (
	extKeyShare = 0x0033

	// GroupX25519 is the x25519 key-exchange group; its shares are 32 bytes.
	GroupX25519 = 0x001d
	// GroupX25519MLKEM768 is the hybrid post-quantum group browsers offer
	// first. Its shares are 1216 bytes from the client (an ML-KEM-768
	// encapsulation key, then an x25519 key) and 1120 from the server (an
	// ML-KEM-768 ciphertext, then an x25519 key).
	GroupX25519MLKEM768 = 0x11ec

	mlkemCiphertextLen = 1088
	versionTLS13       = 0x0304
)

// helloRetryRandom is the server_random marking a HelloRetryRequest
// (RFC 8446 section 4.1.3): SHA-256 of "HelloRetryRequest".
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// Extension is one TLS extension: its type and body.
type Extension struct {
	Type uint16
	Data []byte
}

// ServerHello is what a ServerHello shows anyone on the path: everything
// in it is plaintext.
type ServerHello struct {
	Random [32]byte
	// SessionIDLen is the length of the echoed legacy session id.
	SessionIDLen int
	CipherSuite  uint16
	// Version is the negotiated version: supported_versions when present,
	// else legacy_version (0x0303 for TLS 1.2).
	Version uint16
	// Group is the key_share's group (0 when absent), KeyShareLen the
	// length of its key.
	Group       uint16
	KeyShareLen int
	// Extensions are the extensions in wire order. Their Data alias the
	// parsed record.
	Extensions []Extension
	// RetryRequest is set for a HelloRetryRequest, a ServerHello asking the
	// client for another key share.
	RetryRequest bool
}

// ParseServerHello parses a ServerHello record (16 03 03 <len> 02 ...),
// as a TLS server's first record. Every length is checked against its
// enclosing one; anything inconsistent, a duplicate extension or bytes
// left over give ErrBadServerHello.
func ParseServerHello(record []byte) (*ServerHello, error) {
	c := cursor(record)
	typ, _ := c.u8()
	vmaj, _ := c.u8()
	_, _ = c.u8() // minor version: 1 or 3, servers differ
	body, ok := c.vec16()
	if !ok || len(c) != 0 || typ != TypeHandshake || vmaj != 3 {
		return nil, fmt.Errorf("%w: record framing", ErrBadServerHello)
	}
	htyp, _ := body.u8()
	msg, ok := body.vec24()
	if !ok || len(body) != 0 || htyp != typeServerHello {
		return nil, fmt.Errorf("%w: handshake framing", ErrBadServerHello)
	}
	version, ok := msg.u16()
	random, ok2 := msg.bytes(randomLen)
	sid, ok3 := msg.vec8()
	suite, ok4 := msg.u16()
	_, ok5 := msg.u8() // compression
	if !ok || !ok2 || !ok3 || !ok4 || !ok5 || len(sid) > maxSessionIDLen {
		return nil, fmt.Errorf("%w: truncated", ErrBadServerHello)
	}
	s := &ServerHello{SessionIDLen: len(sid), CipherSuite: suite, Version: version}
	copy(s.Random[:], random)
	s.RetryRequest = bytes.Equal(random, helloRetryRandom)
	if len(msg) == 0 {
		return s, nil
	}
	exts, ok := msg.vec16()
	if !ok || len(msg) != 0 {
		return nil, fmt.Errorf("%w: extensions block", ErrBadServerHello)
	}
	for len(exts) > 0 {
		typ, ok := exts.u16()
		data, ok2 := exts.vec16()
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: extension framing", ErrBadServerHello)
		}
		for _, e := range s.Extensions {
			if e.Type == typ {
				return nil, fmt.Errorf("%w: duplicate extension %#04x", ErrBadServerHello, typ)
			}
		}
		s.Extensions = append(s.Extensions, Extension{Type: typ, Data: data})
		if err := s.parseExtension(typ, data); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *ServerHello) parseExtension(typ uint16, data cursor) error {
	switch typ {
	case extSupportedVersions:
		v, ok := data.u16()
		if !ok || len(data) != 0 {
			return fmt.Errorf("%w: supported_versions", ErrBadServerHello)
		}
		s.Version = v
	case extKeyShare:
		g, ok := data.u16()
		if !ok {
			return fmt.Errorf("%w: key_share", ErrBadServerHello)
		}
		s.Group = g
		if s.RetryRequest && len(data) == 0 {
			return nil // a retry request names the group only
		}
		key, ok := data.vec16()
		if !ok || len(data) != 0 || len(key) == 0 {
			return fmt.Errorf("%w: key_share", ErrBadServerHello)
		}
		s.KeyShareLen = len(key)
	}
	return nil
}
