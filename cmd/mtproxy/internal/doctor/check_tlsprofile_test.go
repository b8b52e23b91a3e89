package doctor

import (
	"context"
	"testing"

	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

func TestCheckTLSProfile(t *testing.T) {
	s := newTestSession(t, baseEnv(t), testOptions(t))
	want(t, s.checkTLSProfile(context.Background()), Skip, "FakeTLS off")

	front := tlsfront.Start(t, "front.example.com")
	e := baseEnv(t)
	e["TLS_DOMAIN"], e["FRONTING_ADDR"] = "front.example.com", front.Addr()
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkTLSProfile(context.Background()), OK, front.Addr()+" answers TLS 1.3: suite 0x1301, group 0x11ec (1120-byte share)")

	e["FRONTING_ADDR"] = closedAddr(t)
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkTLSProfile(context.Background()), Warn, "dial_failed", "fallback profile")
}
