package faketls

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// modernHello parses a hello shaped like a modern Telegram client's: it
// offers X25519MLKEM768 and x25519 shares and suites 0x1301..0x1303.
func modernHello(t testing.TB, seed byte) (*ClientHello, [32]byte) {
	t.Helper()
	raw, random := buildHello(t, seed, HelloOptions{Domain: testDomain, Timestamp: 7})
	h, err := ParseClientHello(joinRecords(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	return h, random
}

func TestClientHelloOffers(t *testing.T) {
	h, _ := modernHello(t, 1)
	for _, g := range []uint16{GroupX25519, GroupX25519MLKEM768} {
		if !h.OffersKeyShare(g) {
			t.Errorf("modern hello: no share for %#04x seen", g)
		}
	}
	for s := uint16(0x1301); s <= 0x1303; s++ {
		if !h.OffersSuite(s) {
			t.Errorf("modern hello: suite %#04x not seen", s)
		}
	}
	if h.OffersSuite(0x1304) || h.OffersSuite(0xc02b) || h.OffersKeyShare(0x0017) {
		t.Error("modern hello: offers what it does not")
	}
	bare, err := ParseClientHello(handHello(testDomain, nil, []uint16{0x1302}))
	if err != nil {
		t.Fatal(err)
	}
	if bare.OffersKeyShare(GroupX25519) || bare.OffersKeyShare(GroupX25519MLKEM768) || bare.OffersSuite(0x1301) || !bare.OffersSuite(0x1302) {
		t.Errorf("hand-made hello with no key_share: %+v", bare)
	}
}

func TestServerFlightFollowsProfile(t *testing.T) {
	p := &ServerProfile{
		CipherSuite: 0x1302,
		Group:       GroupX25519MLKEM768,
		Extensions:  []Extension{{Type: 0x002b}, {Type: 0xff01, Data: []byte{0}}, {Type: 0x0033}},
		Records:     []int{25, 2800, 80, 36},
		Noise:       3,
	}
	want := 25 + 2800 + 80 + 36 + 3*5
	if p.StandInLen() != want {
		t.Fatalf("StandInLen %d, want %d", p.StandInLen(), want)
	}
	sizes := map[int]bool{}
	for seed := range byte(50) {
		h, random := modernHello(t, seed)
		fl, err := ServerFlight(testRand(100+seed), testSecret, h, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadServerFlight(bytes.NewReader(fl.Bytes))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyServerFlight(testSecret, random, got); err != nil {
			t.Fatal(err)
		}
		shLen := RecordHeaderLen + recordLen(got)
		if want := p.serverHelloLen(32, GroupX25519MLKEM768); shLen != want || cap(fl.Bytes) != len(fl.Bytes) {
			t.Fatalf("ServerHello of %d bytes, computed %d; flight capacity %d for %d bytes", shLen, want, cap(fl.Bytes), len(fl.Bytes))
		}
		sh, err := ParseServerHello(got[:shLen])
		if err != nil {
			t.Fatal(err)
		}
		var types []uint16
		for _, e := range sh.Extensions {
			types = append(types, e.Type)
		}
		if !slices.Equal(types, []uint16{0x002b, 0xff01, 0x0033}) || sh.CipherSuite != 0x1302 ||
			sh.Group != GroupX25519MLKEM768 || sh.KeyShareLen != 1120 || sh.Version != 0x0304 ||
			sh.SessionIDLen != 32 || !bytes.Equal(sh.Extensions[1].Data, []byte{0}) {
			t.Fatalf("ServerHello %+v", sh)
		}
		ad := len(got) - shLen - ccsRecordLen - RecordHeaderLen
		if ad < want-3 || ad > want+3 {
			t.Fatalf("stand-in record of %d bytes, want %d±3", ad, want)
		}
		sizes[ad] = true
	}
	if len(sizes) < 2 {
		t.Errorf("50 flights, one size: no noise")
	}
}

// The answer echoes a group the client sent a share for, with a correctly
// sized key, and a suite it offered.
func TestServerFlightEchoesClient(t *testing.T) {
	modern, _ := modernHello(t, 3)
	bare, err := ParseClientHello(handHello(testDomain, nil, []uint16{0x1301, 0x1303}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		hello     *ClientHello
		group     uint16
		suite     uint16
		wantGroup uint16
		wantShare int
		wantSuite uint16
	}{
		{"origin picks hybrid", modern, GroupX25519MLKEM768, 0, GroupX25519MLKEM768, 1120, 0x1301},
		{"origin picks x25519", modern, GroupX25519, 0x1303, GroupX25519, 32, 0x1303},
		{"client has no hybrid share", bare, GroupX25519MLKEM768, 0x1302, GroupX25519, 32, 0x1301},
		{"origin suite offered", bare, GroupX25519, 0x1303, GroupX25519, 32, 0x1303},
	}
	for _, c := range cases {
		p := &ServerProfile{CipherSuite: c.suite, Group: c.group, Extensions: []Extension{{Type: 0x0033}, {Type: 0x002b}}, Records: []int{100}}
		fl, err := ServerFlight(testRand(4), testSecret, c.hello, p)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := ParseServerHello(fl.Bytes[:RecordHeaderLen+recordLen(fl.Bytes)])
		if err != nil {
			t.Fatal(err)
		}
		if sh.Group != c.wantGroup || sh.KeyShareLen != c.wantShare || sh.CipherSuite != c.wantSuite {
			t.Errorf("%s: group %#04x share %d suite %#04x, want %#04x %d %#04x", c.name,
				sh.Group, sh.KeyShareLen, sh.CipherSuite, c.wantGroup, c.wantShare, c.wantSuite)
		}
	}
}

type writeLog struct{ sizes []int }

func (w *writeLog) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return len(p), nil
}

func TestFlightWritesAtSplits(t *testing.T) {
	h, _ := modernHello(t, 5)
	p, err := FallbackProfile(testRand(5))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		splits []int
		want   func(total int) []int
	}{
		{nil, func(n int) []int { return []int{n} }},
		{[]int{100}, func(n int) []int { return []int{100, n - 100} }},
		{[]int{100, 300}, func(n int) []int { return []int{100, 200, n - 300} }},
		{[]int{100, 1 << 20}, func(n int) []int { return []int{100, n - 100} }},
	} {
		p.Splits = c.splits
		fl, err := ServerFlight(testRand(6), testSecret, h, &p)
		if err != nil {
			t.Fatal(err)
		}
		var w writeLog
		n, err := fl.WriteTo(&w)
		if err != nil || n != int64(len(fl.Bytes)) || !slices.Equal(w.sizes, c.want(len(fl.Bytes))) {
			t.Errorf("splits %v: wrote %v (%d, %v)", c.splits, w.sizes, n, err)
		}
	}
}

func TestFallbackProfile(t *testing.T) {
	sizes := map[int]bool{}
	for seed := range byte(20) {
		p, err := FallbackProfile(testRand(seed))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		if n := p.StandInLen(); n < 2400 || n > 3400 {
			t.Fatalf("fallback flight of %d bytes", n)
		}
		sizes[p.StandInLen()] = true
	}
	if len(sizes) < 2 {
		t.Error("every fallback profile has the same size")
	}
}

func TestProfileValidate(t *testing.T) {
	good := func() ServerProfile {
		return ServerProfile{Group: GroupX25519, Extensions: []Extension{{Type: 0x0033}, {Type: 0x002b}}, Records: []int{100}}
	}
	cases := map[string]func(p *ServerProfile){
		"group P-256":         func(p *ServerProfile) { p.Group = 0x0017 },
		"TLS 1.2 suite":       func(p *ServerProfile) { p.CipherSuite = 0xc02b },
		"no key_share":        func(p *ServerProfile) { p.Extensions = p.Extensions[1:] },
		"duplicate extension": func(p *ServerProfile) { p.Extensions = append(p.Extensions, Extension{Type: 0x0033}) },
		"large extension": func(p *ServerProfile) {
			p.Extensions = append(p.Extensions, Extension{Type: 1, Data: make([]byte, 600)})
		},
		"no records":           func(p *ServerProfile) { p.Records = nil },
		"empty record":         func(p *ServerProfile) { p.Records = []int{0} },
		"noise":                func(p *ServerProfile) { p.Noise = MaxProfileNoise + 1 },
		"splits not ascending": func(p *ServerProfile) { p.Splits = []int{10, 10} },
	}
	for name, mod := range cases {
		p := good()
		mod(&p)
		if err := p.Validate(); !errors.Is(err, ErrBadProfile) {
			t.Errorf("%s: %v, want ErrBadProfile", name, err)
		}
	}
	// A flight over the record limit is cut to it.
	p := good()
	p.Records = []int{MaxReadPayload, MaxReadPayload}
	if p.StandInLen() != MaxRecordPayload {
		t.Errorf("StandInLen %d", p.StandInLen())
	}
}

func TestParseServerHelloRejects(t *testing.T) {
	h, _ := modernHello(t, 7)
	fb, _ := FallbackProfile(testRand(7))
	fl, err := ServerFlight(testRand(7), testSecret, h, &fb)
	if err != nil {
		t.Fatal(err)
	}
	rec := fl.Bytes[:RecordHeaderLen+recordLen(fl.Bytes)]
	if _, err := ParseServerHello(rec); err != nil {
		t.Fatal(err)
	}
	mod := func(i int, v byte) []byte { b := bytes.Clone(rec); b[i] = v; return b }
	dup := bytes.Clone(rec)
	// Rename key_share (the second extension, after the 6-byte
	// supported_versions) to supported_versions.
	dup[RecordHeaderLen+4+2+32+1+32+2+1+2+6+1] = 0x2b
	for name, b := range map[string][]byte{
		"alert":          mod(0, 0x15),
		"client hello":   mod(5, 0x01),
		"short":          rec[:60],
		"trailing bytes": append(bytes.Clone(rec), 0),
		"duplicate":      dup,
	} {
		if _, err := ParseServerHello(b); !errors.Is(err, ErrBadServerHello) {
			t.Errorf("%s: %v, want ErrBadServerHello", name, err)
		}
	}
}
