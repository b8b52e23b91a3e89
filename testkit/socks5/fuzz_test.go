package socks5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// encode is an independent encoder of requests, for round trips.
func encode(r Request) []byte {
	b := []byte{version5, r.Cmd, 0, r.AddrType}
	switch r.AddrType {
	case AddrIPv4, AddrIPv6:
		b = append(b, netip.MustParseAddr(r.Host).AsSlice()...)
	case AddrDomain:
		b = append(append(b, byte(len(r.Host))), r.Host...)
	}
	return binary.BigEndian.AppendUint16(b, r.Port)
}

func TestReadRequestRoundTrip(t *testing.T) {
	for _, r := range []Request{
		{CmdConnect, AddrIPv4, "1.2.3.4", 443},
		{CmdConnect, AddrIPv6, "2001:b28:f23d:f001::a", 443},
		{CmdConnect, AddrIPv6, "::ffff:1.2.3.4", 1},
		{CmdConnect, AddrDomain, "x", 65535},
	} {
		got, err := readRequest(bytes.NewReader(encode(r)))
		if err != nil || got != r {
			t.Errorf("%+v: got %+v %v", r, got, err)
		}
	}
	bad := map[string]struct {
		in   []byte
		want error
	}{
		"version":      {[]byte{4, 1, 0, 1}, ErrVersion},
		"reserved":     {[]byte{5, 1, 1, 1}, ErrMalformed},
		"empty domain": {[]byte{5, 1, 0, 3, 0, 0, 80}, ErrMalformed},
		"short ip":     {[]byte{5, 1, 0, 1, 1, 2}, nil},
		"udp":          {encode(Request{CmdUDPAssociate, AddrIPv4, "1.2.3.4", 53}), ErrCommand},
	}
	for name, c := range bad {
		_, err := readRequest(bytes.NewReader(c.in))
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzReadRequest checks the parsers never panic and that accepted
// requests re-encode to the bytes read.
func FuzzReadRequest(f *testing.F) {
	f.Add(encode(Request{CmdConnect, AddrIPv4, "149.154.167.51", 443}))
	f.Add(encode(Request{CmdConnect, AddrIPv6, "2001:67c:4e8:f002::a", 443}))
	f.Add(encode(Request{CmdConnect, AddrDomain, "example.org", 80}))
	f.Add([]byte{5, 2, 0, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = readGreeting(bytes.NewReader(in))
		rd := bytes.NewReader(in)
		r, err := readRequest(rd)
		if err != nil {
			return
		}
		used := in[:len(in)-rd.Len()]
		if got := encode(r); !bytes.Equal(got, used) {
			t.Fatalf("%+v re-encodes to %x, read %x", r, got, used)
		}
	})
}
