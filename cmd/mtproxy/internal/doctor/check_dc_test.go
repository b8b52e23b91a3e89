package doctor

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// withDC2 points DC 2 at addrs (a DC_ADDRS list of "2=host:port")
// instead of its base address.
func withDC2(e env, addrs string) env {
	var keep []string
	for _, a := range strings.Split(e["DC_ADDRS"], ",") {
		if !strings.HasPrefix(a, "2=") {
			keep = append(keep, a)
		}
	}
	e["DC_ADDRS"] = strings.Join(append(keep, addrs), ",")
	return e
}

func TestCheckDC(t *testing.T) {
	up := fakedc.Start(t, fakedc.Options{}).Addr()
	closed := closedAddr(t)
	closed6 := net.JoinHostPort("::1", strconv.Itoa(freePort(t)))
	cases := []struct {
		name      string
		dc2, mode string
		prefer    string
		st        Status
		fragments []string
	}{
		{"up", "2=" + up, "", "", OK, []string{up + " ok, rtt "}},
		{"down", "2=" + closed, "", "", Fail, []string{closed + " refused: connection refused"}},
		{"down, middle", "2=" + closed, "middle", "", Warn, []string{"connection refused", "not dialled in middle mode"}},
		{"one of two down", "2=" + up + ",2=" + closed, "", "", Warn, []string{up + " ok, rtt ", closed + " refused: connection refused"}},
		{"fallback down", "2=" + up + ",2=" + closed6, "", "", OK, []string{"fallback family (tried only when the preferred one fails): [::1]:"}},
		{"only fallback up", "2=" + up + ",2=[::1]:1", "", "prefer-ipv6", Warn, []string{"[::1]:1 refused: connection refused", up + " ok"}},
		{"no family", "2=" + up, "", "only-ipv6", Skip, []string{"no address of the families allowed by PREFER_IP=only-ipv6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := withDC2(baseEnv(t), c.dc2)
			e["MODE"], e["PREFER_IP"] = c.mode, c.prefer
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkDC(context.Background(), 2), c.st, c.fragments...)
		})
	}
}

// A DC address that accepts TCP but is not Telegram fails the check, with
// the class and the reason: the doctor runs the proxy's MTProto probe, not
// a connect.
func TestCheckDCNotTelegram(t *testing.T) {
	cases := []struct {
		b         badpeer.Behaviour
		fragments []string
	}{
		{badpeer.HTTP400, []string{"not_mtproto: TCP connects but the peer is not Telegram: it answered HTTP"}},
		{badpeer.Silent, []string{"no_answer: TCP connects but the peer accepts and stays silent"}},
		{badpeer.CloseAfterFirst, []string{"reset: TCP connects, then the peer closes the connection before answering"}},
		{badpeer.Echo, []string{"not_mtproto: TCP connects but the peer is not Telegram: it echoes what it is sent"}},
	}
	for _, c := range cases {
		t.Run(c.b.String(), func(t *testing.T) {
			addr := badpeer.Start(t, c.b).Addr()
			e := withDC2(baseEnv(t), "2="+addr)
			o := testOptions(t)
			o.Timeout = time.Second
			s := newTestSession(t, e, o)
			want(t, s.checkDC(context.Background(), 2), Fail, append(c.fragments, addr+" ")...)
		})
	}
}

// Every DC of the table gets its own check.
func TestDCChecksListed(t *testing.T) {
	rep := diagnose(t, baseEnv(t), testOptions(t))
	for _, name := range []string{"dc 1", "dc 2", "dc 3", "dc 4", "dc 5", "dc 203"} {
		want(t, outcome(t, rep, name).Result, OK)
	}
}
