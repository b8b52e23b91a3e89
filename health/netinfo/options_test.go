package netinfo

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseDetectURLs(t *testing.T) {
	got, err := ParseDetectURLs(" https://api.ipify.org,, http://10.1.2.3:8080/ip ,https://[2001:db8::1]/")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://api.ipify.org", "http://10.1.2.3:8080/ip", "https://[2001:db8::1]/"}; !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
	if got, err := ParseDetectURLs(" "); got != nil || err != nil {
		t.Fatalf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"api.ipify.org", "ftp://x/ip", "https://", "https:///ip", "http://a b/", "https://ok.org,%zz"} {
		if _, err := ParseDetectURLs(bad); !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	_, err = ParseDetectURLs("https://user:hunter2@example.org/ip")
	if !errors.Is(err, ErrBadURL) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("user info: %v", err)
	}
}

// userInfoMsg is the fixed error for a URL with user info; it names no input.
const userInfoMsg = `netinfo: bad IP look-up URL: user info ("@") is not allowed`

func FuzzParseDetectURLs(f *testing.F) {
	for _, s := range []string{"https://api.ipify.org", "http://[::1]:80/ip,https://a", "x://y", "https://u:p@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		urls, err := ParseDetectURLs(s)
		if err != nil {
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("untyped error %v", err)
			}
			for _, f := range strings.Split(s, ",") {
				f = strings.TrimSpace(f)
				if strings.Contains(f, "@") && err.Error() != userInfoMsg && strings.Contains(err.Error(), f) {
					t.Fatalf("error echoes user info: %v", err)
				}
			}
			return
		}
		for _, u := range urls {
			if checkURL(u) != nil || strings.Contains(u, ",") {
				t.Fatalf("accepted %q", u)
			}
		}
	})
}
