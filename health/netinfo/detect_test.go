package netinfo

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	extIP   = netip.MustParseAddr("203.0.113.9")
	otherIP = netip.MustParseAddr("198.51.100.1")
	loop4   = netip.MustParseAddr("127.0.0.1")
)

func hasWarning(r Result, parts ...string) bool {
	for _, w := range r.Warnings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return true
		}
	}
	return false
}

func TestDetectBehindNAT(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9\n", 0)
	obs := &recorder{}
	r, err := Detect(context.Background(), testOptions(t, svc.URL), obs)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != BehindNAT || r.Internal != loop4 || r.External != extIP || r.Source != SourceDetected {
		t.Fatalf("result %+v", r)
	}
	if r.NATInfo() != "127.0.0.1:203.0.113.9" || len(r.Warnings) != 0 {
		t.Errorf("nat-info %q, warnings %q", r.NATInfo(), r.Warnings)
	}
	if r.Detected.External6.IsValid() || r.External6.IsValid() {
		t.Errorf("IPv6 from an IPv4-only setup: %+v", r)
	}
	if got := obs.results(); got[svc.URL] != ResultOK || len(got) != 2 {
		t.Errorf("events %v", got) // the v4 look-up and the failed v6 one
	}
}

func TestDetectPublic(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	o := testOptions(t, svc.URL)
	var probed []netip.AddrPort
	o.RouteProbe = func(ctx context.Context, target netip.AddrPort) (netip.Addr, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("route probe without a deadline")
		}
		probed = append(probed, target)
		return extIP, nil
	}
	r, err := Detect(context.Background(), o, nil)
	if err != nil || r.State != Public || r.NATInfo() != "" {
		t.Fatalf("%+v, %v", r, err)
	}
	if len(probed) != 1 || probed[0] != loopbackRoute[0] {
		t.Errorf("probed %v", probed)
	}
}

func TestDetectConfiguredMismatch(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	o := testOptions(t, svc.URL)
	o.ConfiguredIP = otherIP
	r, err := Detect(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != Mismatch || r.External != otherIP || r.Detected.External != extIP || r.Source != SourceConfigured {
		t.Fatalf("%+v", r)
	}
	if !hasWarning(r, "198.51.100.1", "203.0.113.9", "configured") {
		t.Errorf("warnings %q", r.Warnings)
	}
	// Agreement is no mismatch.
	o.ConfiguredIP = extIP
	if r, err := Detect(context.Background(), o, nil); err != nil || r.State != BehindNAT || len(r.Warnings) != 0 {
		t.Fatalf("%+v, %v", r, err)
	}
}

// A configured address stands when detection fails, with a warning.
func TestDetectConfiguredUnverified(t *testing.T) {
	o := testOptions(t, deadURL(t))
	o.ConfiguredIP = otherIP
	o.ConfiguredInternalIP = netip.MustParseAddr("10.0.0.5")
	r, err := Detect(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != BehindNAT || r.Internal != o.ConfiguredInternalIP || r.External != otherIP || r.Detected.Internal != loop4 {
		t.Fatalf("%+v", r)
	}
	if !hasWarning(r, "could not verify", "198.51.100.1") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestDetectNATInfoWins(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	o := testOptions(t, svc.URL)
	o.NATInfo = "10.0.0.5:203.0.113.9"
	r, err := Detect(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != BehindNAT || r.Source != SourceNATInfo || r.Internal != netip.MustParseAddr("10.0.0.5") || r.External != extIP {
		t.Fatalf("%+v", r)
	}
	if r.NATInfo() != "10.0.0.5:203.0.113.9" || !hasWarning(r, "10.0.0.5", "127.0.0.1") {
		t.Errorf("nat-info %q, warnings %q", r.NATInfo(), r.Warnings)
	}

	o.NATInfo = "10.0.0.5:198.51.100.1"
	o.ConfiguredIP = extIP
	r, err = Detect(context.Background(), o, nil)
	if err != nil || r.State != Mismatch || r.External != otherIP {
		t.Fatalf("%+v, %v", r, err)
	}
	if !hasWarning(r, "nat-info", "198.51.100.1", "203.0.113.9") || !hasWarning(r, "overrides the configured IP 203.0.113.9") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestDetectBadOptions(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	o := testOptions(t, svc.URL)
	o.NATInfo = "10.0.0.5"
	if _, err := Detect(context.Background(), o, nil); !errors.Is(err, ErrBadNATInfo) {
		t.Fatalf("err = %v", err)
	}
	o.NATInfo, o.DetectURLs = "", []string{svc.URL, "ftp://x"}
	if _, err := Detect(context.Background(), o, nil); !errors.Is(err, ErrBadURL) {
		t.Fatalf("err = %v", err)
	}
	if svc.requests.Load() != 0 {
		t.Error("look-ups made despite bad options")
	}
}

func TestDetectNoRoute(t *testing.T) {
	svc := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	o := testOptions(t, svc.URL)
	o.RouteProbe = func(context.Context, netip.AddrPort) (netip.Addr, error) {
		return netip.Addr{}, errors.New("connect: network is unreachable")
	}
	r, err := Detect(context.Background(), o, nil)
	if !errors.Is(err, ErrNoRoute) || errors.Is(err, ErrNoExternal) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("err = %v", err)
	}
	if r.State != Unknown || r.External != extIP || r.Internal.IsValid() {
		t.Fatalf("%+v", r)
	}
}

func TestDetectNothingAnswers(t *testing.T) {
	garbage := newIPService(t, http.StatusOK, "hello", 0)
	o := testOptions(t, garbage.URL, deadURL(t))
	r, err := Detect(context.Background(), o, nil)
	if !errors.Is(err, ErrNoExternal) || r.State != Unknown || r.External.IsValid() {
		t.Fatalf("%+v, %v", r, err)
	}
	if r.Internal != loop4 {
		t.Errorf("internal %s", r.Internal)
	}
}

// With only IPv6 answering, the state is computed on the IPv6 pair.
func TestDetectIPv6(t *testing.T) {
	v6 := newIPServiceOn(t, "tcp6", "[::1]:0", http.StatusOK, "2001:db8::5\n", 0)
	o := Options{
		DetectURLs:   []string{deadURL(t)},
		DetectURLs6:  []string{v6.URL},
		Timeout:      2 * time.Second,
		RouteTargets: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9"), netip.MustParseAddrPort("[::1]:9")},
	}
	r, err := Detect(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != BehindNAT || r.Internal6 != netip.IPv6Loopback() || r.External6 != netip.MustParseAddr("2001:db8::5") || r.External.IsValid() {
		t.Fatalf("%+v", r)
	}
	o.ConfiguredIP = netip.MustParseAddr("2001:db8::7")
	r, err = Detect(context.Background(), o, nil)
	if err != nil || r.State != Mismatch || r.External6 != o.ConfiguredIP || !hasWarning(r, "2001:db8::7", "2001:db8::5") {
		t.Fatalf("%+v, %v", r, err)
	}
}

func TestDetectCanceled(t *testing.T) {
	slow := newIPService(t, http.StatusOK, "203.0.113.9", time.Minute)
	o := testOptions(t, slow.URL)
	o.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	obs := &recorder{}
	r, err := Detect(ctx, o, obs)
	// The slow service answers after a minute.
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("took %v", took)
	}
	if r.State != Unknown || !errors.Is(err, ErrNoExternal) {
		t.Fatalf("%+v, %v", r, err)
	}
	if got := obs.results()[slow.URL]; got != ResultCanceled {
		t.Errorf("result %s", got)
	}
}

func TestDetectDisableIPv6(t *testing.T) {
	v4 := newIPService(t, http.StatusOK, "203.0.113.9", 0)
	v6 := newIPServiceOn(t, "tcp6", "[::1]:0", http.StatusOK, "2001:db8::5", 0)
	o := testOptions(t, v4.URL)
	o.DetectURLs6 = []string{v6.URL}
	o.RouteTargets = append(o.RouteTargets, netip.MustParseAddrPort("[::1]:9"))
	o.DisableIPv6 = true
	obs := &recorder{}
	r, err := Detect(context.Background(), o, obs)
	if err != nil || r.State != BehindNAT || r.External6.IsValid() || r.Internal6.IsValid() {
		t.Fatalf("%+v, %v", r, err)
	}
	if v6.requests.Load() != 0 || len(obs.events) != 1 {
		t.Errorf("IPv6 look-up made: %d requests, %d events", v6.requests.Load(), len(obs.events))
	}
}

func TestStateStrings(t *testing.T) {
	for s, want := range map[NATState]string{Unknown: "unknown", Public: "public", BehindNAT: "behind_nat", Mismatch: "mismatch", 9: "unknown"} {
		if s.String() != want {
			t.Errorf("%d: %q", int(s), s.String())
		}
	}
}
