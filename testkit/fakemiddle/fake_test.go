package fakemiddle

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The published vector of seriyps/mtproto_proxy (middle_key_test): the
// 128-byte proxy secret, the middle proxy 149.154.162.38:80, the proxy
// 80.211.29.34:54208, direction "CLIENT".
func TestDeriveKeySeriypsVector(t *testing.T) {
	secret := unhex(t, "c4f9faca9678e6bb48ad6c7e2ce5c0d24430645d554addeb55419e034da62721"+
		"d046eaab6e52ab14a95a443ecfb3463e79a05a66612adf9caeda8be9a80da698"+
		"6fb0a6ff387af84d88ef3a6413713e5c3377f6e1a3d47d99f5e0c56eece8f05c"+
		"54c490b079e31bef82ff0ee8f2b0a32756d249c5f21269816cb7061b265db212")
	srvNonce := [16]byte(unhex(t, "f728d238410c65aad89b0efdfaeedbe2"))
	cltNonce := [16]byte(unhex(t, "1831356fc60aebb4e6705c4e01c96a69"))
	key, iv := deriveKey(srvNonce, cltNonce, 1528396015,
		netip.MustParseAddrPort("149.154.162.38:80"), netip.MustParseAddrPort("80.211.29.34:54208"), secret, "CLIENT")
	if want := unhex(t, "a59e7f3129e8bb45261da3e2b7921c43e1e086bfcf98ffa69842a9c4368732bc"); !bytes.Equal(key[:], want) {
		t.Errorf("key %x, want %x", key, want)
	}
	if want := unhex(t, "216e7dddb779a07482b49cf9346f25b2"); !bytes.Equal(iv[:], want) {
		t.Errorf("iv %x, want %x", iv, want)
	}
	// The other direction and another client address give other keys.
	k2, _ := deriveKey(srvNonce, cltNonce, 1528396015,
		netip.MustParseAddrPort("149.154.162.38:80"), netip.MustParseAddrPort("80.211.29.34:54208"), secret, "SERVER")
	k3, _ := deriveKey(srvNonce, cltNonce, 1528396015,
		netip.MustParseAddrPort("149.154.162.38:80"), netip.MustParseAddrPort("80.211.29.35:54208"), secret, "CLIENT")
	if k2 == key || k3 == key {
		t.Error("keys do not depend on the direction or the client address")
	}
}

// Frames written with CBC, CRC32C and padding read back, in any chunking.
func TestFrameRoundTrip(t *testing.T) {
	var wire bytes.Buffer
	w := newWriter(&wire)
	key, iv := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 16)
	// Plaintext nonce frame first, then encrypted frames.
	if err := w.send(w.frame(nil, []byte("nonce-frame-payload-of-32-bytes!"))); err != nil {
		t.Fatal(err)
	}
	if err := w.enableCBC(key, iv); err != nil {
		t.Fatal(err)
	}
	w.crc = crcC
	payloads := [][]byte{bytes.Repeat([]byte{1}, 4), bytes.Repeat([]byte{2}, 100), bytes.Repeat([]byte{3}, 70000)}
	var out []byte
	for _, p := range payloads {
		out = w.frame(out, p)
	}
	if err := w.send(out); err != nil {
		t.Fatal(err)
	}
	if (wire.Len()-44)%16 != 0 {
		t.Fatalf("encrypted part of %d bytes is not whole blocks", wire.Len()-44)
	}
	r := newReader(&oneByte{r: bytes.NewReader(wire.Bytes())})
	p, err := r.next()
	if err != nil || string(p) != "nonce-frame-payload-of-32-bytes!" {
		t.Fatalf("nonce frame %q, %v", p, err)
	}
	if err := r.enableCBC(key, iv); err != nil {
		t.Fatal(err)
	}
	r.crc = crcC
	for i, want := range payloads {
		got, err := r.next()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %d bytes, %v", i, len(got), err)
		}
	}
}

// A frame decrypted with the wrong key fails its CRC (or length), which
// is how the fake recognises a client that derived other keys.
func TestFrameWrongKey(t *testing.T) {
	var wire bytes.Buffer
	w := newWriter(&wire)
	_ = w.enableCBC(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16))
	_ = w.send(w.frame(nil, make([]byte, 32)))
	r := newReader(&wire)
	_ = r.enableCBC(bytes.Repeat([]byte{3}, 32), bytes.Repeat([]byte{2}, 16))
	if _, err := r.next(); !errors.Is(err, errCRC) && !errors.Is(err, errLength) {
		t.Fatalf("wrong key: %v", err)
	}
}

type oneByte struct{ r *bytes.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// request builds an RPC_PROXY_REQ by hand.
func request(flags uint32, tag []byte, pkt []byte) []byte {
	b := u32(nil, typeProxyReq)
	b = u32(b, flags)
	b = binary.LittleEndian.AppendUint64(b, 77)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1)
	b = u32(b, 5555)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7)
	b = u32(b, 443)
	if tag != nil {
		b = u32(b, 24)
		b = u32(b, tlProxyTag)
		b = append(b, 16)
		b = append(b, tag...)
		b = append(b, 0, 0, 0)
	}
	return append(b, pkt...)
}

func TestParseRequest(t *testing.T) {
	tag := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	enc := append([]byte{1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 56)...)
	plain := make([]byte, 40)
	base := uint32(FlagMagic | FlagExtMode2 | FlagIntermediate)
	cases := []struct {
		name   string
		o      Options
		p      []byte
		errSub string
	}{
		{"ok no tag", Options{}, request(base, nil, enc), ""},
		{"ok tag", Options{ExpectTag: &tag}, request(base|FlagHasAdTag, tag[:], enc), ""},
		{"ok plain", Options{}, request(base|FlagNotEncrypted, nil, plain), ""},
		{"ok proxy addr", Options{ExpectProxyAddr: netip.MustParseAddrPort("203.0.113.7:443")}, request(base, nil, enc), ""},
		{"wrong proxy addr", Options{ExpectProxyAddr: netip.MustParseAddrPort("203.0.113.8:443")}, request(base, nil, enc), "proxy address"},
		{"tag missing", Options{ExpectTag: &tag}, request(base, nil, enc), "want"},
		{"tag unexpected", Options{}, request(base|FlagHasAdTag, tag[:], enc), "none expected"},
		{"no magic", Options{}, request(FlagExtMode2|FlagIntermediate, nil, enc), "magic"},
		{"two transports", Options{}, request(base|FlagAbridged, nil, enc), "exactly one"},
		{"unknown bit", Options{}, request(base|0x1, nil, enc), "unknown flag"},
		{"plain flag wrong", Options{}, request(base, nil, plain), "not-encrypted"},
		{"short", Options{}, request(base, nil, nil)[:40], "shorter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, bad := parseRequest(c.p, &c.o)
			if c.errSub == "" {
				if len(bad) != 0 {
					t.Fatalf("violations %q", bad)
				}
				if r.ConnID != 77 || r.Client != netip.MustParseAddrPort("127.0.0.1:5555") ||
					r.Proxy != netip.MustParseAddrPort("203.0.113.7:443") {
					t.Fatalf("decoded %+v", r)
				}
				return
			}
			if !strings.Contains(strings.Join(bad, "|"), c.errSub) {
				t.Fatalf("violations %q, want one with %q", bad, c.errSub)
			}
		})
	}
}

func FuzzParseRequest(f *testing.F) {
	tag := [16]byte{1}
	f.Add(request(FlagMagic|FlagExtMode2|FlagAbridged|FlagHasAdTag, tag[:], make([]byte, 64)))
	f.Add(request(FlagMagic|FlagExtMode2|FlagIntermediate, nil, make([]byte, 64)))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, _ := parseRequest(p, &Options{ExpectTag: &tag})
		if r != nil && len(r.Packet) > len(p) {
			t.Fatal("packet longer than the request")
		}
	})
}

// A connection id stands for one client: the fake flags an id that changes
// client, a client that gets a second open id, a request after the
// proxy's RPC_CLOSE_CONN and a zero id; a client address reused after its
// id ended is fine.
func TestConnIDStability(t *testing.T) {
	s := &Server{idClient: map[uint64]netip.AddrPort{}, clientID: map[netip.AddrPort]uint64{},
		idClosed: map[uint64]bool{}, idEnded: map[uint64]bool{}}
	a, b := netip.MustParseAddrPort("127.0.0.1:1000"), netip.MustParseAddrPort("127.0.0.1:2000")
	s.record(&Request{ConnID: 1, Client: a})
	s.record(&Request{ConnID: 1, Client: a})
	s.record(&Request{ConnID: 2, Client: b})
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("violations %q", v)
	}
	s.record(&Request{ConnID: 1, Client: b})
	if v := s.Violations(); len(v) != 2 || !strings.Contains(v[0], "carried client") || !strings.Contains(v[1], "also") {
		t.Fatalf("violations %q", v)
	}
	s.violations = nil
	s.closedConn(1)
	s.closedConn(2)
	s.record(&Request{ConnID: 3, Client: b}) // b's old ids ended: reuse is fine
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("violations %q", v)
	}
	s.record(&Request{ConnID: 2, Client: netip.MustParseAddrPort("127.0.0.1:3000")})
	if v := s.Violations(); len(v) == 0 || !strings.Contains(v[0], "after its RPC_CLOSE_CONN") {
		t.Fatalf("violations %q", v)
	}
	_, bad := parseRequest(func() []byte {
		p := request(FlagMagic|FlagExtMode2|FlagIntermediate, nil, append([]byte{1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 56)...))
		binary.LittleEndian.PutUint64(p[8:], 0)
		return p
	}(), &Options{})
	if !strings.Contains(strings.Join(bad, "|"), "conn id 0") {
		t.Fatalf("zero conn id not flagged: %q", bad)
	}
	_, bad = parseRequest(request(FlagMagic|FlagExtMode2|FlagAbridged|FlagPadded, nil, make([]byte, 40)), &Options{})
	if !strings.Contains(strings.Join(bad, "|"), "padded without intermediate") {
		t.Fatalf("padded abridged not flagged: %q", bad)
	}
}

// RecordLimit bounds the requests kept, not the ones counted or checked.
func TestRecordLimit(t *testing.T) {
	for _, c := range []struct{ limit, kept int }{{0, 4}, {2, 2}, {-1, 0}} {
		s := &Server{o: Options{RecordLimit: c.limit}, idClient: map[uint64]netip.AddrPort{},
			clientID: map[netip.AddrPort]uint64{}, idClosed: map[uint64]bool{}, idEnded: map[uint64]bool{}}
		a := netip.MustParseAddrPort("127.0.0.1:1000")
		for range 3 {
			s.record(&Request{ConnID: 1, Client: a})
		}
		s.closedConn(1)
		s.record(&Request{ConnID: 1, Client: a})
		if got := len(s.Requests()); got != c.kept {
			t.Errorf("limit %d: kept %d requests, want %d", c.limit, got, c.kept)
		}
		if got := s.Stats().Requests; got != 4 {
			t.Errorf("limit %d: counted %d requests, want 4", c.limit, got)
		}
		if v := s.Violations(); len(v) != 1 {
			t.Errorf("limit %d: violations %q, want the request after RPC_CLOSE_CONN", c.limit, v)
		}
	}
}
