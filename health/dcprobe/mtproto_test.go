package dcprobe

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// Every kind of peer is classified: the fake DC answers MTProto; the bad
// peers accept TCP and are down, each with its reason.
func TestMTProtoClassifies(t *testing.T) {
	cases := []struct {
		name   string
		addr   func(t *testing.T) string
		dialer func() *dc.Dialer
		res    dc.Result
		answer Answer
		words  string
	}{
		{"fake DC", func(t *testing.T) string { return fakeDC(t).String() }, nil, dc.OK, AnswerNone, "answers (round trip"},
		{"HTTP 400", func(t *testing.T) string { return bad(t, badpeer.HTTP400).String() }, nil, dc.NotMTProto, AnswerHTTP, "it answered HTTP"},
		{"silent", func(t *testing.T) string { return bad(t, badpeer.Silent).String() }, nil, dc.NoAnswer, AnswerNone, "accepts and stays silent"},
		{"close after first", func(t *testing.T) string { return bad(t, badpeer.CloseAfterFirst).String() }, nil, dc.Reset, AnswerNone, "closes the connection before answering"},
		{"echo", func(t *testing.T) string { return bad(t, badpeer.Echo).String() }, nil, dc.NotMTProto, AnswerEcho, "echoes what it is sent"},
		{"refused", func(t *testing.T) string { return closedAddr(t).String() }, nil, dc.Refused, AnswerNone, "connection refused"},
		{"no TCP", func(t *testing.T) string { return "192.0.2.1:443" }, blackhole, dc.Timeout, AnswerNone, "no TCP connection within"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &MTProto{Timeout: testTimeout}
			if c.dialer != nil {
				m.Dialer = c.dialer()
			}
			o := m.Probe(context.Background(), 2, ap(t, c.addr(t)))
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

// The probe's header names the DC and the intermediate transport, as the
// proxy's own dials do; the fake DC records both and answers one resPQ.
func TestMTProtoHeader(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	o := (&MTProto{Timeout: testTimeout}).Probe(context.Background(), 203, ap(t, d.Addr()))
	if o.Result != dc.OK {
		t.Fatalf("outcome %v: %v", o.Result, o.Err)
	}
	conns := d.Conns()
	if len(conns) != 1 || conns[0].DC != 203 || conns[0].Transport.String() != "intermediate" {
		t.Fatalf("fake DC saw %+v", conns)
	}
	if st := d.Stats(); st.ReqPQ != 1 {
		t.Fatalf("fake DC stats %+v", st)
	}
}

// A cancelled probe is an error, not a verdict on the peer.
func TestMTProtoCancelled(t *testing.T) {
	addr := bad(t, badpeer.Silent)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { done <- (&MTProto{Timeout: testTimeout * 100}).Probe(ctx, 2, addr) }()
	cancel()
	o := <-done
	if o.Result != dc.Failed || !errors.Is(o.Err, context.Canceled) {
		t.Fatalf("outcome %v: %v", o.Result, o.Err)
	}
}

func TestSniff(t *testing.T) {
	sent := []byte("0123456789abcdef")
	for got, want := range map[string]Answer{
		"":                         AnswerNone,
		"HTTP/1.0 302 Found\r\n":   AnswerHTTP,
		"\x15\x03\x03\x00\x02\x02": AnswerTLS,
		"\x16\x03\x01\x00":         AnswerTLS,
		"0123":                     AnswerEcho,
		"0123456789abcdef++":       AnswerEcho,
		"012":                      AnswerOther,
		"garbage!":                 AnswerOther,
	} {
		if a := Sniff([]byte(got), sent); a != want {
			t.Errorf("Sniff(%q) = %v, want %v", got, a, want)
		}
	}
}
