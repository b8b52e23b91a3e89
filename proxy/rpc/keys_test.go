package rpc

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// The vector of seriyps/mtproto_proxy (mtp_down_conn.erl, middle_key_test):
// the published 128-byte proxy secret, a middle proxy at 149.154.162.38:80,
// the proxy at 80.211.29.34:54208, "CLIENT" direction.
func TestDeriveKeysSeriypsVector(t *testing.T) {
	secret, err := ParseProxySecret(unhex(t,
		"c4f9faca9678e6bb48ad6c7e2ce5c0d24430645d554addeb55419e034da62721"+
			"d046eaab6e52ab14a95a443ecfb3463e79a05a66612adf9caeda8be9a80da698"+
			"6fb0a6ff387af84d88ef3a6413713e5c3377f6e1a3d47d99f5e0c56eece8f05c"+
			"54c490b079e31bef82ff0ee8f2b0a32756d249c5f21269816cb7061b265db212"))
	if err != nil {
		t.Fatal(err)
	}
	p := KeyParams{
		ServerNonce: [16]byte(unhex(t, "f728d238410c65aad89b0efdfaeedbe2")),
		ClientNonce: [16]byte(unhex(t, "1831356fc60aebb4e6705c4e01c96a69")),
		ClientTime:  1528396015,
		ClientAddr:  netip.MustParseAddrPort("80.211.29.34:54208"),
		ServerAddr:  netip.MustParseAddrPort("149.154.162.38:80"),
		Secret:      secret,
	}
	k, err := DeriveClientKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "a59e7f3129e8bb45261da3e2b7921c43e1e086bfcf98ffa69842a9c4368732bc"); !bytes.Equal(k.WriteKey[:], want) {
		t.Errorf("write key %x", k.WriteKey)
	}
	if want := unhex(t, "216e7dddb779a07482b49cf9346f25b2"); !bytes.Equal(k.WriteIV[:], want) {
		t.Errorf("write iv %x", k.WriteIV)
	}
	// IPv4-mapped forms of the same addresses give the same keys.
	p.ClientAddr = netip.MustParseAddrPort("[::ffff:80.211.29.34]:54208")
	if k2, err := DeriveClientKeys(p); err != nil || k2 != k {
		t.Errorf("v4-mapped addresses: %v", err)
	}
}

// hand assembles s per the spec, byte by byte, without the package.
type hand struct {
	nonceSrv, nonceClt []byte
	secret             []byte
}

func (h hand) keys(purpose string, v6 bool) (key, iv []byte) {
	var s []byte
	s = append(s, h.nonceSrv...)
	s = append(s, h.nonceClt...)
	s = append(s, 0x44, 0x33, 0x22, 0x11) // clt_ts 0x11223344
	if v6 {
		s = append(s, 0, 0, 0, 0)
	} else {
		s = append(s, 10, 2, 0, 192) // srv 192.0.2.10, octets reversed
	}
	s = append(s, 0x40, 0x9c) // clt_port 40000
	s = append(s, purpose...)
	if v6 {
		s = append(s, 0, 0, 0, 0)
	} else {
		s = append(s, 7, 100, 51, 198) // clt 198.51.100.7, octets reversed
	}
	s = append(s, 0xb8, 0x22) // srv_port 8888
	s = append(s, h.secret...)
	s = append(s, h.nonceSrv...)
	if v6 {
		s = append(s, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01) // clt 2001:db8::1
		s = append(s, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02) // srv 2001:db8::2
	}
	s = append(s, h.nonceClt...)
	m1, sh, m2 := md5.Sum(s[1:]), sha1.Sum(s), md5.Sum(s[2:])
	return append(m1[:12], sh[:]...), m2[:]
}

func TestDeriveKeysHandAssembled(t *testing.T) {
	h := hand{nonceSrv: make([]byte, 16), nonceClt: make([]byte, 16), secret: make([]byte, 96)}
	for i := range 16 {
		h.nonceSrv[i], h.nonceClt[i] = byte(i), byte(0x10+i)
	}
	for i := range h.secret {
		h.secret[i] = byte(0x80 + 7*i)
	}
	secret, err := ParseProxySecret(h.secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, v6 := range []bool{false, true} {
		p := KeyParams{
			ServerNonce: [16]byte(h.nonceSrv),
			ClientNonce: [16]byte(h.nonceClt),
			ClientTime:  0x11223344,
			ClientAddr:  netip.MustParseAddrPort("198.51.100.7:40000"),
			ServerAddr:  netip.MustParseAddrPort("192.0.2.10:8888"),
			Secret:      secret,
		}
		if v6 {
			p.ClientAddr = netip.MustParseAddrPort("[2001:db8::1]:40000")
			p.ServerAddr = netip.MustParseAddrPort("[2001:db8::2]:8888")
		}
		k, err := DeriveClientKeys(p)
		if err != nil {
			t.Fatal(err)
		}
		wk, wiv := h.keys("CLIENT", v6)
		rk, riv := h.keys("SERVER", v6)
		if !bytes.Equal(k.WriteKey[:], wk) || !bytes.Equal(k.WriteIV[:], wiv) {
			t.Errorf("v6=%v: write key/iv differ from the hand-built string", v6)
		}
		if !bytes.Equal(k.ReadKey[:], rk) || !bytes.Equal(k.ReadIV[:], riv) {
			t.Errorf("v6=%v: read key/iv differ from the hand-built string", v6)
		}
		if r := reverse(k); r.WriteKey != k.ReadKey || r.ReadIV != k.WriteIV {
			t.Error("Reverse")
		}
	}
}

func TestDeriveKeysErrors(t *testing.T) {
	secret, _ := ParseProxySecret(bytes.Repeat([]byte{0x99}, 32))
	v4, v6 := netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("[2001:db8::1]:1")
	for name, p := range map[string]KeyParams{
		"mixed":       {ClientAddr: v4, ServerAddr: v6, Secret: secret},
		"zero addr":   {ServerAddr: v4, Secret: secret},
		"unspecified": {ClientAddr: netip.MustParseAddrPort("0.0.0.0:1"), ServerAddr: v4, Secret: secret},
	} {
		if _, err := DeriveClientKeys(p); !errors.Is(err, ErrAddress) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DeriveClientKeys(KeyParams{ClientAddr: v4, ServerAddr: v4}); err == nil {
		t.Error("nil secret accepted")
	}
}

func TestProxySecret(t *testing.T) {
	good := make([]byte, 128)
	for i := range good {
		good[i] = byte(0xf0 ^ i*13)
	}
	s, err := ParseProxySecret(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeySelector() != uint32(good[0])|uint32(good[1])<<8|uint32(good[2])<<16|uint32(good[3])<<24 || s.Len() != 128 {
		t.Errorf("selector %08x len %d", s.KeySelector(), s.Len())
	}
	orig := bytes.Clone(good)
	good[5] ^= 1 // ParseProxySecret copied
	s2, _ := ParseProxySecret(good)
	if s.Equal(s2) || !s.Equal(s) {
		t.Error("Equal")
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, s)
		if strings.Contains(out, fmt.Sprintf("%x", orig[4:12])) || !strings.Contains(out, "128 bytes") {
			t.Errorf("%s prints %q", f, out)
		}
	}

	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"31 bytes":  {good[:31], ErrProxySecretSize},
		"257 bytes": {make([]byte, 257), ErrProxySecretSize},
		"zero sel":  {append([]byte{0, 0, 0, 0}, good[4:]...), ErrProxySecretSelector},
		"html":      {[]byte("<html><body>502 Bad Gateway</body></html>\r\n"), ErrProxySecretText},
		"hex":       {[]byte(strings.Repeat("c4f9faca", 16) + "\n"), ErrProxySecretText},
	} {
		if _, err := ParseProxySecret(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := ParseProxySecret(good[:32]); err != nil {
		t.Errorf("32 bytes: %v", err)
	}
}
