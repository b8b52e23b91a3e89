package clockskew

import (
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

func TestParseServers(t *testing.T) {
	got, err := ParseServers(" pool.ntp.org, time.google.com:123 ,,[2001:db8::1],[::1]:1123, 2001:db8::2 ,192.0.2.1:5")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pool.ntp.org", "time.google.com:123", "[2001:db8::1]", "[::1]:1123", "2001:db8::2", "192.0.2.1:5"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
	addrs := map[string]string{
		"pool.ntp.org": "pool.ntp.org:123", "[2001:db8::1]": "[2001:db8::1]:123",
		"2001:db8::2": "[2001:db8::2]:123", "[::1]:1123": "[::1]:1123",
		"fe80::1%eth0": "[fe80::1%eth0]:123", "[fe80::1%br-lan.2]:5": "[fe80::1%br-lan.2]:5",
	}
	for in, out := range addrs {
		if a, err := serverAddress(in); err != nil || a != out {
			t.Errorf("serverAddress(%q) = %q, %v; want %q", in, a, err, out)
		}
	}
	if got, err := ParseServers(" , "); err != nil || got != nil {
		t.Errorf("empty list: %q, %v", got, err)
	}
}

func TestParseServersBad(t *testing.T) {
	for _, s := range []string{
		"host:", "host:0", "host:65536", "host:x", "host:+1", "[::1", "[::1]x", "[1.2.3.4]:123",
		"a b", "-host", "host-.com", "a..b", "::1::2", "exa_mple.com:-1", "[::1]:", "ok.org,bad:port",
		"::0%0]", "[fe80::1%a]b]:123", "fe80::1%a b", "fe80::1%[",
	} {
		if _, err := ParseServers(s); !errors.Is(err, ErrBadServer) {
			t.Errorf("ParseServers(%q) err = %v, want ErrBadServer", s, err)
		}
	}
}

func FuzzParseServers(f *testing.F) {
	for _, s := range []string{"pool.ntp.org", "a:123,b", "[::1]:123", "2001:db8::1", "x:0", "[", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		servers, err := ParseServers(s)
		if err != nil {
			if !errors.Is(err, ErrBadServer) {
				t.Fatalf("error %v does not wrap ErrBadServer", err)
			}
			return
		}
		for _, srv := range servers {
			a, err := serverAddress(srv)
			if err != nil {
				t.Fatalf("accepted %q but serverAddress fails: %v", srv, err)
			}
			host, port, err := net.SplitHostPort(a)
			if err != nil || host == "" || port == "" {
				t.Fatalf("%q -> %q is not host:port", srv, a)
			}
			// Stable: the dialable form parses to itself.
			if again, err := serverAddress(a); err != nil || again != a {
				t.Fatalf("%q -> %q -> %q, %v", srv, a, again, err)
			}
		}
	})
}

func FuzzFromHTTPDate(f *testing.F) {
	f.Add("Sun, 09 Mar 2025 10:00:03 GMT", int64(0), int64(400_000_000))
	f.Add("Sunday, 09-Mar-25 10:00:00 GMT", int64(-5), int64(5))
	f.Add("Sun Mar  9 10:00:00 2025", int64(1), int64(1))
	f.Fuzz(func(t *testing.T, h string, sentNS, rttNS int64) {
		sent := time.Unix(0, sentNS)
		received := sent.Add(time.Duration(rttNS))
		s, err := FromHTTPDate(h, sent, received)
		if err != nil {
			if !errors.Is(err, ErrBadDate) && !errors.Is(err, ErrBadTiming) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if s.Uncertainty < dateResolution/2 || !s.At.Equal(received) || s.Source != SourceHTTPDate {
			t.Fatalf("sample %+v", s)
		}
	})
}
