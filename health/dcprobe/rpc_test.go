package dcprobe

import (
	"context"
	"crypto/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

func testSecret(t *testing.T) ([]byte, *rpc.ProxySecret) {
	t.Helper()
	raw := make([]byte, 128)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	s, err := rpc.ParseProxySecret(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, s
}

// rpcMethod handshakes with secret, as the address the peer sees (loopback
// needs no NAT).
func rpcMethod(secret *rpc.ProxySecret) *RPC {
	return &RPC{Timeout: testTimeout, Params: func(server, local netip.AddrPort) (middle.HandshakeParams, error) {
		return middle.HandshakeParams{Secret: secret, Server: server, Public: local, Now: time.Now(),
			PID: 1, Started: time.Now(), Rand: rand.Reader}, nil
	}}
}

// A middle proxy is up when the RPC handshake completes; the bad peers
// are down with the same classes as in direct mode.
func TestRPCClassifies(t *testing.T) {
	raw, secret := testSecret(t)
	mid, err := fakemiddle.New(fakemiddle.Options{Secret: raw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mid.Close() })
	_, other := testSecret(t)
	cases := []struct {
		name   string
		addr   netip.AddrPort
		secret *rpc.ProxySecret
		res    dc.Result
		answer Answer
		words  string
	}{
		{"middle proxy", mid.Addr(), secret, dc.OK, AnswerNone, "answers"},
		{"another secret", mid.Addr(), other, dc.Reset, AnswerNone, "closes the connection before answering"},
		{"HTTP 400", bad(t, badpeer.HTTP400), secret, dc.NotMTProto, AnswerHTTP, "it answered HTTP"},
		{"silent", bad(t, badpeer.Silent), secret, dc.NoAnswer, AnswerNone, "stays silent"},
		{"close after first", bad(t, badpeer.CloseAfterFirst), secret, dc.Reset, AnswerNone, "closes the connection"},
		{"echo", bad(t, badpeer.Echo), secret, dc.NotMTProto, AnswerEcho, "echoes"},
		{"refused", closedAddr(t), secret, dc.Refused, AnswerNone, "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rpcMethod(c.secret).Probe(context.Background(), 2, c.addr)
			if o.Result != c.res || o.Answer != c.answer {
				t.Fatalf("outcome %v/%v (%v), want %v/%v", o.Result, o.Answer, o.Err, c.res, c.answer)
			}
			if d := o.Describe(); !strings.Contains(d, c.words) {
				t.Fatalf("described as %q, want %q in it", d, c.words)
			}
			if (o.Result == dc.OK) != (o.RTT > 0) {
				t.Fatalf("RTT %v for %v", o.RTT, o.Result)
			}
		})
	}
}
