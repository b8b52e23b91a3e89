package webproxy_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/webclient"
)

// At MaxSessions a creation gets 503 with Retry-After and its bootstrap
// stays unconsumed: it works once a session ended.
func TestSessionLimit(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{}, func(o *webproxy.Options) { o.MaxSessions = 1 })
	_, _, boot, err := webclient.Bootstrap(ctxT(t), a.client(0, wire.Plain))
	if err != nil {
		t.Fatal(err)
	}
	resp := a.do(t, req{method: "POST", path: "/api/v1/session", body: wire.Hello(), header: http.Header{
		"Authorization": {"Bearer " + boot}, "Content-Type": {"application/octet-stream"}}})
	wantStatus(t, "over the limit", resp, http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if err := a.s.Delete(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := webclient.Create(ctxT(t), a.client(0, wire.Plain), boot); err != nil {
		t.Fatalf("the bootstrap after a 503: %v", err)
	}
	if n := a.obs.get(func(o *recObserver) int { return o.limits[webproxy.LimitSessions] }); n != 1 {
		t.Errorf("%d session limit hits", n)
	}
}

// An OPEN over a stream limit gets a CLOSE for that stream only.
func TestStreamLimits(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  func(*webproxy.Options)
		limit webproxy.Limit
	}{
		{"per session", func(o *webproxy.Options) { o.MaxStreamsPerSession = 1 }, webproxy.LimitSessionStreams},
		{"in all", func(o *webproxy.Options) { o.MaxStreams = 1 }, webproxy.LimitStreams},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAPIRig(t, &scriptEngine{}, c.opts)
			wantStatus(t, "up", a.up(t, "1", frames(open(1), open(2), data(1, []byte("echo")))), http.StatusNoContent)
			var closes []uint32
			var echo []byte
			cursor := uint64(0)
			for len(closes) == 0 || len(echo) < 4 {
				resp := a.down(t, itoa(cursor))
				if resp.StatusCode == http.StatusNoContent {
					continue
				}
				cursor++
				for b := resp.Body; len(b) > 0; {
					f, used, _ := wire.Parse(b, wire.FromRelay)
					switch f.Type {
					case wire.TypeClose:
						closes = append(closes, f.Stream)
					case wire.TypeData:
						echo = append(echo, f.Payload...)
					}
					b = b[used:]
				}
			}
			if len(closes) != 1 || closes[0] != 2 || string(echo) != "echo" {
				t.Errorf("CLOSE of %v, stream 1 echoed %q", closes, echo)
			}
			if n := a.obs.get(func(o *recObserver) int { return o.limits[c.limit] }); n != 1 {
				t.Errorf("%d hits of %v", n, c.limit)
			}
			// A late frame for the refused stream is ignored.
			wantStatus(t, "late DATA", a.up(t, "2", data(2, []byte("x"))), http.StatusNoContent)
		})
	}
}

// An up body whose DATA does not fit the session's pending bytes gets 503
// and nothing of it is applied; once the engine reads, the same body goes.
func TestPendingLimit(t *testing.T) {
	eng := &scriptEngine{hold: true, discard: true, release: make(chan struct{})}
	a := newAPIRig(t, eng, func(o *webproxy.Options) { o.MaxSessionPending = 1 }) // raised to 4 MiB + 256 KiB
	chunk := bytes.Repeat([]byte{7}, wire.MaxDataChunk)
	body := func(id uint32, n int) []byte {
		var b []byte
		for range n {
			b = append(b, data(id, chunk)...)
		}
		return b
	}
	wantStatus(t, "open", a.up(t, "1", frames(open(1), open(2))), http.StatusNoContent)
	wantStatus(t, "2 MiB - 512 KiB", a.up(t, "2", body(1, 24)), http.StatusNoContent)
	wantStatus(t, "another", a.up(t, "3", body(2, 24)), http.StatusNoContent)
	big := body(1, 24) // 4.5 MiB in all
	resp := a.up(t, "4", big)
	wantStatus(t, "over the budget", resp, http.StatusServiceUnavailable)
	if n := a.obs.get(func(o *recObserver) int { return o.limits[webproxy.LimitSessionPending] }); n != 1 {
		t.Errorf("%d pending limit hits", n)
	}
	close(eng.release) // the engine reads
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp = a.up(t, "4", big)
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the client's retry, as after Retry-After
	}
	wantStatus(t, "after the engine read", resp, http.StatusNoContent)
}

// Protocol errors end the session.
func TestProtocolErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"DATA of a stream never opened", data(9, []byte("x"))},
		{"OPEN twice", frames(open(1), open(1))},
		{"HELLO in a session", wire.Hello()},
		{"unknown type", []byte{0x07, 0, 0, 1, 0, 0, 0, 0}},
		{"wrong direction", wire.Welcome()},
		{"partial frame", open(1)[:5]},
		{"window overrun", frames(open(1), bytes.Repeat(data(1, make([]byte, wire.MaxDataChunk)), 65))},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAPIRig(t, &scriptEngine{hold: true, release: make(chan struct{})}, nil)
			wantStatus(t, "up", a.up(t, "1", c.body), http.StatusBadRequest)
			a.ended(t)
		})
	}
}

// A session nobody touches ends after IdleTimeout.
func TestIdleSession(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{}, func(o *webproxy.Options) { o.IdleTimeout = 100 * time.Millisecond })
	a.ended(t)
	if n := a.obs.get(func(o *recObserver) int { return o.closed }); n != 1 {
		t.Errorf("%d sessions closed", n)
	}
}

// An engine that ends a stream has its bytes delivered, then CLOSE.
func TestEngineCloseAfterData(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{greet: []byte("bye"), quit: true}, nil)
	wantStatus(t, "up", a.up(t, "1", open(1)), http.StatusNoContent)
	var got []byte
	cursor := uint64(0)
	for !bytes.HasSuffix(got, wire.AppendFrame(nil, wire.TypeClose, 1, nil)) {
		resp := a.down(t, itoa(cursor))
		if resp.StatusCode == http.StatusOK {
			cursor++
			got = append(got, resp.Body...)
		}
	}
	if want := frames(data(1, []byte("bye")), wire.AppendFrame(nil, wire.TypeClose, 1, nil)); !bytes.Equal(got, want) {
		t.Errorf("down %x, want %x", got, want)
	}
	// Late frames for the closed stream are ignored.
	wantStatus(t, "late DATA", a.up(t, "2", data(1, []byte("x"))), http.StatusNoContent)
}
