package faketls

import (
	"encoding/binary"
	"fmt"
)

const (
	extServerName  = 0x0000
	sniHostName    = 0x00
	suiteTLS13Low  = 0x1301 // TLS_AES_128_GCM_SHA256
	suiteTLS13High = 0x1303 // TLS_CHACHA20_POLY1305_SHA256
	suiteTLS13Max  = 0x1305 // TLS_AES_128_CCM_8_SHA256, the last TLS 1.3 suite
)

// Key shares a ClientHello can carry that the server side answers.
const (
	shareX25519 = 1 << iota
	shareX25519MLKEM768
)

// ClientHello holds the fields of a ClientHello the proxy needs.
type ClientHello struct {
	// Random is the client_random: the MAC and the XORed timestamp.
	Random [32]byte
	// SessionID is the legacy session id (0..32 bytes), echoed by the server.
	// It does not alias the parsed record.
	SessionID []byte
	// CipherSuite is the first TLS 1.3 suite offered (0x1301..0x1303; GREASE
	// values fall outside that range), or 0 when none is.
	CipherSuite uint16
	// ServerName is the first host_name of the server_name extension, "" when absent.
	ServerName string

	sid    [maxSessionIDLen]byte
	suites uint8 // bit i: TLS 1.3 suite 0x1301+i offered
	shares uint8 // shareX25519 | shareX25519MLKEM768: well-sized key shares sent
}

// OffersSuite reports whether the hello offers the TLS 1.3 cipher suite s.
func (h *ClientHello) OffersSuite(s uint16) bool {
	return s >= suiteTLS13Low && s <= suiteTLS13Max && h.suites&(1<<(s-suiteTLS13Low)) != 0
}

// OffersKeyShare reports whether the hello's key_share carries a share of
// the right size for group: [GroupX25519] (32 bytes) or
// [GroupX25519MLKEM768] (1216 bytes).
func (h *ClientHello) OffersKeyShare(group uint16) bool {
	switch group {
	case GroupX25519:
		return h.shares&shareX25519 != 0
	case GroupX25519MLKEM768:
		return h.shares&shareX25519MLKEM768 != 0
	}
	return false
}

// ParseClientHello parses a ClientHello framed as one record (the record
// returned by ReadClientHello). Every length is checked against its
// enclosing one; anything inconsistent, or bytes left over, gives ErrBadHello.
func ParseClientHello(record []byte) (*ClientHello, error) {
	c := cursor(record)
	typ, _ := c.u8()
	vmaj, _ := c.u8()
	vmin, _ := c.u8()
	body, ok := c.vec16()
	if !ok || len(c) != 0 || typ != TypeHandshake || !helloVersion(vmaj, vmin) {
		return nil, fmt.Errorf("%w: record framing", ErrBadHello)
	}
	htyp, _ := body.u8()
	msg, ok := body.vec24()
	if !ok || len(body) != 0 || htyp != typeClientHello {
		return nil, fmt.Errorf("%w: handshake framing", ErrBadHello)
	}
	h := new(ClientHello)
	if err := h.parseBody(msg); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *ClientHello) parseBody(c cursor) error {
	version, ok := c.u16()
	random, ok2 := c.bytes(randomLen)
	sid, ok3 := c.vec8()
	suites, ok4 := c.vec16()
	comp, ok5 := c.vec8()
	if !ok || !ok2 || !ok3 || !ok4 || !ok5 {
		return fmt.Errorf("%w: truncated", ErrBadHello)
	}
	if version != 0x0303 {
		return fmt.Errorf("%w: legacy_version %#04x", ErrBadHello, version)
	}
	if len(sid) > maxSessionIDLen {
		return fmt.Errorf("%w: session id of %d bytes", ErrBadHello, len(sid))
	}
	if len(suites) == 0 || len(suites)%2 != 0 || len(comp) == 0 {
		return fmt.Errorf("%w: cipher suites or compression methods", ErrBadHello)
	}
	copy(h.Random[:], random)
	h.SessionID = h.sid[:copy(h.sid[:], sid)]
	for ; len(suites) > 0; suites = suites[2:] {
		s := binary.BigEndian.Uint16(suites)
		if s >= suiteTLS13Low && s <= suiteTLS13High && h.CipherSuite == 0 {
			h.CipherSuite = s
		}
		if s >= suiteTLS13Low && s <= suiteTLS13Max {
			h.suites |= 1 << (s - suiteTLS13Low)
		}
	}
	if len(c) == 0 {
		return nil // extensions are optional
	}
	exts, ok := c.vec16()
	if !ok || len(c) != 0 {
		return fmt.Errorf("%w: extensions block", ErrBadHello)
	}
	return h.parseExtensions(exts)
}

func (h *ClientHello) parseExtensions(exts cursor) error {
	sniSeen, sharesSeen := false, false
	for len(exts) > 0 {
		typ, ok := exts.u16()
		data, ok2 := exts.vec16()
		if !ok || !ok2 {
			return fmt.Errorf("%w: extension framing", ErrBadHello)
		}
		if typ == extKeyShare {
			if sharesSeen {
				return fmt.Errorf("%w: duplicate key_share", ErrBadHello)
			}
			sharesSeen = true
			if err := h.parseKeyShares(data); err != nil {
				return err
			}
			continue
		}
		if typ != extServerName {
			continue
		}
		if sniSeen {
			return fmt.Errorf("%w: duplicate server_name", ErrBadHello)
		}
		sniSeen = true
		name, err := parseServerName(data)
		if err != nil {
			return err
		}
		h.ServerName = name
	}
	return nil
}

// parseKeyShares notes which answerable groups the key_share extension
// (RFC 8446 section 4.2.8) carries a share of the right size for.
func (h *ClientHello) parseKeyShares(data cursor) error {
	list, ok := data.vec16()
	if !ok || len(data) != 0 {
		return fmt.Errorf("%w: key_share list", ErrBadHello)
	}
	for len(list) > 0 {
		group, ok := list.u16()
		key, ok2 := list.vec16()
		if !ok || !ok2 {
			return fmt.Errorf("%w: key_share entry", ErrBadHello)
		}
		switch {
		case group == GroupX25519 && len(key) == x25519Len:
			h.shares |= shareX25519
		case group == GroupX25519MLKEM768 && len(key) == mlkemClientShareLen:
			h.shares |= shareX25519MLKEM768
		}
	}
	return nil
}

// parseServerName returns the first host_name of a server_name extension
// (RFC 6066 section 3).
func parseServerName(data cursor) (string, error) {
	list, ok := data.vec16()
	if !ok || len(data) != 0 || len(list) == 0 {
		return "", fmt.Errorf("%w: server_name list", ErrBadHello)
	}
	var host string
	for len(list) > 0 {
		typ, ok := list.u8()
		name, ok2 := list.vec16()
		if !ok || !ok2 || len(name) == 0 {
			return "", fmt.Errorf("%w: server_name entry", ErrBadHello)
		}
		if typ == sniHostName && host == "" {
			host = string(name)
		}
	}
	return host, nil
}

// cursor reads big-endian TLS fields off the front of a byte slice. Each
// method returns ok=false, consuming nothing, when the bytes run short.
type cursor []byte

func (c *cursor) bytes(n int) ([]byte, bool) {
	if n < 0 || len(*c) < n {
		return nil, false
	}
	b := (*c)[:n:n]
	*c = (*c)[n:]
	return b, true
}

func (c *cursor) u8() (byte, bool) {
	b, ok := c.bytes(1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

func (c *cursor) u16() (uint16, bool) {
	b, ok := c.bytes(2)
	if !ok {
		return 0, false
	}
	return binary.BigEndian.Uint16(b), true
}

// vec reads a vector with an lenBytes-byte length prefix.
func (c *cursor) vec(lenBytes int) (cursor, bool) {
	save := *c
	p, ok := c.bytes(lenBytes)
	if !ok {
		return nil, false
	}
	n := 0
	for _, b := range p {
		n = n<<8 | int(b)
	}
	v, ok := c.bytes(n)
	if !ok {
		*c = save
		return nil, false
	}
	return v, true
}

func (c *cursor) vec8() (cursor, bool)  { return c.vec(1) }
func (c *cursor) vec16() (cursor, bool) { return c.vec(2) }
func (c *cursor) vec24() (cursor, bool) { return c.vec(3) }
