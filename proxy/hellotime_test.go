package proxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// noUpstream serves nothing; helloExpiry's test needs none.
type noUpstream struct{}

func (noUpstream) Serve(context.Context, *Session) error { return nil }

// The replay cache keeps a hello exactly as long as its timestamp would be
// accepted; uptime timestamps are bounded by the proxy's own uptime plus
// the skew, or refused.
func TestHelloExpiry(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	now := start.Add(time.Hour) // the proxy has been up for an hour
	const skew = 2 * time.Minute
	p, err := New(Options{Secrets: []Secret{{}}, TimeSkew: skew, Upstream: noUpstream{}, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	unix := func(d time.Duration) uint32 { return uint32(now.Add(d).Unix()) }
	for _, tc := range []struct {
		name    string
		ts      uint32
		expires time.Time // zero: refused
	}{
		{"now", unix(0), now.Add(skew)},
		{"at the past bound", unix(-skew), now},
		{"at the future bound", unix(skew), now.Add(2 * skew)},
		{"past the past bound", unix(-skew - time.Second), time.Time{}},
		{"past the future bound", unix(skew + time.Second), time.Time{}},
		{"uptime below ours", 600, now.Add(2 * skew)},
		{"uptime at ours plus skew", uint32((time.Hour + skew) / time.Second), now.Add(2 * skew)},
		{"uptime beyond ours plus skew", uint32((time.Hour+skew)/time.Second) + 1, time.Time{}},
		{"uptime of days", 3 * 86400, time.Time{}},
	} {
		exp, err := p.helloExpiry(tc.ts, now)
		switch {
		case tc.expires.IsZero() && !errors.Is(err, faketls.ErrStaleTimestamp):
			t.Errorf("%s: accepted until %v, want refused", tc.name, exp)
		case !tc.expires.IsZero() && (err != nil || !exp.Equal(tc.expires)):
			t.Errorf("%s: expires %v, %v; want %v", tc.name, exp, err, tc.expires)
		}
	}
	p.o.DisableUptimeTimestamps = true
	if _, err := p.helloExpiry(600, now); !errors.Is(err, faketls.ErrStaleTimestamp) || !errors.Is(err, errUptimeRefused) {
		t.Errorf("uptime with DisableUptimeTimestamps: %v", err)
	}
}
