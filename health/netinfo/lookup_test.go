package netinfo

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestParseAnswer(t *testing.T) {
	good := map[string]Family{
		"203.0.113.9":          IPv4,
		"203.0.113.9\n":        IPv4,
		" 10.1.2.3 \r\n":       IPv4, // a private address is still an address
		"::ffff:203.0.113.9":   IPv4,
		"2001:db8::5\n":        IPv6,
		"2a00:1450:4001::200e": IPv6,
	}
	for in, f := range good {
		if a, err := parseAnswer([]byte(in), f); err != nil || familyOf(a) != f {
			t.Errorf("%q: %s, %v", in, a, err)
		}
	}
	bad := map[string]Family{
		"":                    IPv4,
		"<html>203.0.113.9":   IPv4,
		"203.0.113.9 extra":   IPv4,
		"127.0.0.1":           IPv4,
		"0.0.0.0":             IPv4,
		"224.0.0.1":           IPv4,
		"255.255.255.255":     IPv4,
		"169.254.1.1":         IPv4,
		"2001:db8::5":         IPv4,
		"203.0.113.9 ":        IPv6,
		"::ffff:203.0.113.9":  IPv6,
		"fe80::1%eth0":        IPv6,
		"::1":                 IPv6,
		"203.0.113.9\n" + pad: IPv4,
	}
	for in, f := range bad {
		if a, err := parseAnswer([]byte(in), f); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("%q as %s: %s, %v", in, f, a, err)
		}
	}
}

const pad = "                                                                  "

func TestLookupFirstValidWins(t *testing.T) {
	fast := newIPService(t, http.StatusOK, "203.0.113.9\n", 200*time.Millisecond)
	slow := newIPService(t, http.StatusOK, "198.51.100.1", time.Minute)
	garbage := newIPService(t, http.StatusOK, "<html>no</html>", 0)
	broken := newIPService(t, http.StatusInternalServerError, "203.0.113.66", 0)
	obs := &recorder{}
	o := testOptions(t).withDefaults()
	o.Timeout = 10 * time.Second
	start := time.Now()
	a, err := lookupFirst(context.Background(), o, IPv4, []string{slow.URL, garbage.URL, fast.URL, broken.URL}, obs)
	if err != nil || a != netip.MustParseAddr("203.0.113.9") {
		t.Fatalf("got %s, %v", a, err)
	}
	// The slow service answers after a minute.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v: the slow service was not cancelled", took)
	}
	select {
	case <-slow.canceled:
	case <-time.After(5 * time.Second):
		t.Error("the slow service never saw its request cancelled")
	}
	want := map[string]LookupResult{slow.URL: ResultCanceled, garbage.URL: ResultBadAnswer, fast.URL: ResultOK, broken.URL: ResultError}
	got := obs.results()
	for u, r := range want {
		if got[u] != r {
			t.Errorf("%s: %s, want %s", u, got[u], r)
		}
	}
	for _, ev := range obs.events {
		var le *LookupError
		if (ev.Result == ResultOK) != (ev.Err == nil) || (ev.Err != nil && (!errors.As(ev.Err, &le) || le.Result != ev.Result)) {
			t.Errorf("event %+v", ev)
		}
	}
}

func TestLookupAllDown(t *testing.T) {
	slow := newIPService(t, http.StatusOK, "203.0.113.9", time.Minute)
	garbage := newIPService(t, http.StatusOK, "not an ip", 0)
	dead := deadURL(t)
	obs := &recorder{}
	o := testOptions(t).withDefaults()
	// Long enough for the answering services on a loaded machine, far
	// below the slow one's minute.
	o.Timeout = 3 * time.Second
	start := time.Now()
	_, err := lookupFirst(context.Background(), o, IPv4, []string{slow.URL, garbage.URL, dead}, obs)
	if !errors.Is(err, ErrNoExternal) || !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v with a 3s timeout", took)
	}
	want := map[string]LookupResult{slow.URL: ResultTimeout, garbage.URL: ResultBadAnswer, dead: ResultError}
	if got := obs.results(); len(got) != 3 || got[slow.URL] != want[slow.URL] || got[garbage.URL] != want[garbage.URL] || got[dead] != want[dead] {
		t.Errorf("results %v, want %v", got, want)
	}
}

// The family of a look-up is the URL list's, whatever the URL's host.
func TestLookupFamilyForced(t *testing.T) {
	v6 := newIPServiceOn(t, "tcp6", "[::1]:0", http.StatusOK, "2001:db8::5", 0)
	o := testOptions(t).withDefaults()
	obs := &recorder{}
	if _, err := lookupFirst(context.Background(), o, IPv4, []string{v6.URL}, obs); !errors.Is(err, ErrNoExternal) {
		t.Fatalf("IPv4 look-up reached an IPv6-only service: %v", err)
	}
	if v6.requests.Load() != 0 {
		t.Fatal("request sent over the wrong family")
	}
	a, err := lookupFirst(context.Background(), o, IPv6, []string{v6.URL}, obs)
	if err != nil || a != netip.MustParseAddr("2001:db8::5") {
		t.Fatalf("IPv6 look-up: %s, %v", a, err)
	}
	// An IPv6 service answering an IPv4 address is a bad answer.
	v4answer := newIPServiceOn(t, "tcp6", "[::1]:0", http.StatusOK, "203.0.113.9", 0)
	if _, err := lookupFirst(context.Background(), o, IPv6, []string{v4answer.URL}, obs); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("v4 answer to a v6 look-up: %v", err)
	}
}
