package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

func TestCheckClockNTP(t *testing.T) {
	cases := []struct {
		name string
		skew time.Duration // the server's clock ahead of ours
		st   Status
	}{
		{"in time", 0, OK},
		{"3s", 3 * time.Second, Warn},
		{"10s", -10 * time.Second, Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["NTP_SERVERS"] = sntpServer(t, c.skew)
			s := newTestSession(t, e, testOptions(t))
			r := s.checkClock(context.Background())
			want(t, r, c.st, "(NTP 127.0.0.1:", "Telegram Date: no response")
			// The detail starts "+9.959s ±41ms": the truth (we are behind by
			// skew) lies within the estimate's own uncertainty, which a
			// loaded machine widens.
			var off, unc time.Duration
			if f := strings.Fields(r.Detail); len(f) >= 2 {
				off, _ = time.ParseDuration(f[0])
				unc, _ = time.ParseDuration(strings.TrimPrefix(f[1], "±"))
			}
			if d := off + c.skew; unc == 0 || d > unc+time.Millisecond || d < -unc-time.Millisecond {
				t.Errorf("offset %v ± %v does not hold %v: %s", off, unc, -c.skew, r.Detail)
			}
		})
	}
}

// The Date header of Telegram's response counts even with NTP blocked,
// graded by what it proves.
func TestCheckClockHTTPDate(t *testing.T) {
	cases := []struct {
		skew     time.Duration
		st       Status
		fragment string
	}{
		{0, OK, "(Date header 127.0.0.1:"},
		{-10 * time.Second, Fail, "off UTC (limit 5 s)"},
	}
	for _, c := range cases {
		core := fakecore.New(proxySecretBytes(t), nil, nil)
		t.Cleanup(core.Close)
		core.SetDateSkew(c.skew)
		e := baseEnv(t)
		e["PROXY_SECRET_URL"], e["PROXY_CONFIG_URL"] = core.SecretURL(), core.ConfigURL() // the config: 404, still dated
		s := newTestSession(t, e, testOptions(t))
		want(t, s.checkClock(context.Background()), c.st, c.fragment, "NTP: no answer")
	}
}

func TestCheckClockUnknown(t *testing.T) {
	s := newTestSession(t, baseEnv(t), testOptions(t))
	want(t, s.checkClock(context.Background()), Warn, "offset from UTC unknown", "NTP: no answer", "Telegram Date: no response")
}
