package webproxy_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/webclient"
	"go.uber.org/zap/zaptest"
)

// scriptEngine stands in for the proxy: each stream gets greet written to
// it, then what it reads is echoed unless hold is set (then nothing is
// read until release is closed).
type scriptEngine struct {
	greet   []byte
	hold    bool
	quit    bool // end the stream after the greeting
	discard bool // read without echoing
	release chan struct{}
	mu      sync.Mutex
	seen    []proxy.Carried
}

func (e *scriptEngine) ServeCarried(ctx context.Context, conn net.Conn, c proxy.Carried) error {
	e.mu.Lock()
	e.seen = append(e.seen, c)
	e.mu.Unlock()
	defer conn.Close()
	if len(e.greet) > 0 {
		if _, err := conn.Write(e.greet); err != nil {
			return nil
		}
	}
	if e.quit {
		return nil
	}
	if e.hold {
		select {
		case <-e.release:
		case <-ctx.Done():
			return nil
		}
	}
	if e.discard {
		_, _ = io.Copy(io.Discard, conn)
		return nil
	}
	_, _ = io.Copy(conn, conn)
	return nil
}

// apiRig is a carrier in front of a scriptEngine, with a created session.
type apiRig struct {
	*rig
	eng *scriptEngine
	s   *webclient.Session
}

func newAPIRig(t *testing.T, eng *scriptEngine, opts func(*webproxy.Options)) *apiRig {
	t.Helper()
	r := &rig{t: t, keys: [][16]byte{randKey()}, obs: newRecObserver(), site: &siteRecorder{}}
	r.o = webproxy.Options{Host: testHost, Engine: eng, Secrets: webproxy.StaticSecrets([]webproxy.Secret{{Key: r.keys[0]}}),
		Site: r.site, Observer: r.obs, Logger: zaptest.NewLogger(t)}
	if opts != nil {
		opts(&r.o)
	}
	c, err := webproxy.New(r.o)
	if err != nil {
		t.Fatal(err)
	}
	r.carrier = c
	r.srv = newServer(t, c)
	_, _, boot, err := webclient.Bootstrap(ctxT(t), r.client(0, wire.Plain))
	if err != nil {
		t.Fatal(err)
	}
	s, err := webclient.Create(ctxT(t), r.client(0, wire.Plain), boot)
	if err != nil {
		t.Fatal(err)
	}
	return &apiRig{rig: r, eng: eng, s: s}
}

func (a *apiRig) up(t *testing.T, seq string, body []byte) *webclient.Response {
	t.Helper()
	return a.do(t, req{method: "POST", path: "/api/v1/up", body: body, header: http.Header{
		"Authorization": {"Bearer " + a.s.Token}, "Content-Type": {"application/octet-stream"}, "X-Up-Seq": {seq}}})
}

func (a *apiRig) down(t *testing.T, cursor string) *webclient.Response {
	t.Helper()
	return a.do(t, req{method: "POST", path: "/api/v1/down", header: http.Header{
		"Authorization": {"Bearer " + a.s.Token}, "X-Down-Cursor": {cursor}}})
}

func frames(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
func open(id uint32) []byte      { return wire.AppendFrame(nil, wire.TypeOpen, id, nil) }
func data(id uint32, p []byte) []byte {
	return wire.AppendFrame(nil, wire.TypeData, id, p)
}

func wantStatus(t *testing.T, what string, resp *webclient.Response, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s: %d, want %d", what, resp.StatusCode, code)
	}
}

func (a *apiRig) ended(t *testing.T) {
	t.Helper()
	eventually(t, "the session ended", func() bool { return a.carrier.Sessions() == 0 })
	wantStatus(t, "down after the end", a.down(t, "0"), http.StatusNotFound)
}

func TestUpSequence(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{}, nil)
	b1 := frames(open(1), data(1, []byte("ping")))
	resp := a.up(t, "1", b1)
	wantStatus(t, "up 1", resp, http.StatusNoContent)
	if resp.Header.Get("X-Up-Ack") != "1" {
		t.Errorf("X-Up-Ack %q", resp.Header.Get("X-Up-Ack"))
	}
	// A byte-identical resend is acknowledged and not applied again (a
	// second OPEN of stream 1 would be a protocol error).
	wantStatus(t, "resend of 1", a.up(t, "1", b1), http.StatusNoContent)
	wantStatus(t, "up 2", a.up(t, "2", data(1, []byte("more"))), http.StatusNoContent)
	// The echo shows the resend was not applied: ping then more, once.
	got := downData(t, a, 1, len("pingmore"))
	if string(got) != "pingmore" {
		t.Errorf("the engine got %q", got)
	}
	// A different body under the last number is a protocol error.
	wantStatus(t, "changed resend", a.up(t, "2", data(1, []byte("else"))), http.StatusBadRequest)
	a.ended(t)
}

func TestUpSequenceGap(t *testing.T) {
	for _, seq := range []string{"2", "0", "01", "-1", "x"} {
		a := newAPIRig(t, &scriptEngine{}, nil)
		wantStatus(t, "up "+seq, a.up(t, seq, open(1)), http.StatusBadRequest)
		a.ended(t)
	}
}

// downData polls down until n DATA bytes of stream id arrived.
func downData(t *testing.T, a *apiRig, id uint32, n int) []byte {
	t.Helper()
	var got []byte
	cursor := uint64(0)
	for len(got) < n {
		resp := a.down(t, itoa(cursor))
		if resp.StatusCode == http.StatusNoContent {
			continue
		}
		wantStatus(t, "down", resp, http.StatusOK)
		cursor++
		if resp.Header.Get("X-Down-Cursor") != itoa(cursor) {
			t.Fatalf("cursor %q, want %d", resp.Header.Get("X-Down-Cursor"), cursor)
		}
		for b := resp.Body; len(b) > 0; {
			f, used, err := wire.Parse(b, wire.FromRelay)
			if err != nil {
				t.Fatal(err)
			}
			if f.Type == wire.TypeData && f.Stream == id {
				got = append(got, f.Payload...)
			}
			b = b[used:]
		}
	}
	return got
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// The old cursor replays the unacknowledged batch byte for byte; the next
// one acknowledges it.
func TestDownReplay(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{greet: []byte("greetings"), hold: true, release: make(chan struct{})},
		func(o *webproxy.Options) { o.LongPoll = 50 * time.Millisecond })
	wantStatus(t, "up", a.up(t, "1", open(1)), http.StatusNoContent)
	var first *webclient.Response
	for first == nil || first.StatusCode == http.StatusNoContent {
		first = a.down(t, "0")
	}
	wantStatus(t, "down 0", first, http.StatusOK)
	if want := data(1, []byte("greetings")); !bytes.Equal(first.Body, want) {
		t.Fatalf("batch %x, want %x", first.Body, want)
	}
	again := a.down(t, "0")
	wantStatus(t, "replay", again, http.StatusOK)
	if !bytes.Equal(again.Body, first.Body) || again.Header.Get("X-Down-Cursor") != "1" {
		t.Errorf("replay %x (cursor %s), want %x", again.Body, again.Header.Get("X-Down-Cursor"), first.Body)
	}
	// Cursor 1 acknowledges; nothing more: 204 after the hold.
	empty := a.down(t, "1")
	wantStatus(t, "down 1", empty, http.StatusNoContent)
	if empty.Header.Get("X-Down-Cursor") != "1" {
		t.Errorf("204 cursor %q", empty.Header.Get("X-Down-Cursor"))
	}
	// The acknowledged batch is gone: cursor 0 is now a protocol error.
	wantStatus(t, "stale cursor", a.down(t, "0"), http.StatusBadRequest)
	a.ended(t)
}

// The newest poll wins: of two polls with the same cursor, one answers
// 204 at once (the older, whichever it is), long before its hold is over;
// the other stays parked until the session ends.
func TestNewestPollWins(t *testing.T) {
	a := newAPIRig(t, &scriptEngine{}, func(o *webproxy.Options) { o.LongPoll = time.Hour })
	polls := make(chan *webclient.Response, 2)
	for range 2 {
		go func() { polls <- a.down(t, "0") }()
	}
	select {
	case resp := <-polls:
		wantStatus(t, "the older poll", resp, http.StatusNoContent)
	case <-ctxT(t).Done():
		t.Fatal("neither poll was answered")
	}
	select {
	case resp := <-polls:
		t.Fatalf("the newer poll was answered %d", resp.StatusCode)
	default:
	}
	if err := a.s.Delete(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "the newer poll after DELETE", <-polls, http.StatusNotFound)
	// DELETE is idempotent.
	if err := a.s.Delete(ctxT(t)); err != nil {
		t.Errorf("second DELETE: %v", err)
	}
}

// The engine gets the HTTP peer as the client, or, from a trusted peer,
// the last X-Forwarded-For hop that is not itself trusted.
func TestClientAddress(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted []netip.Prefix
		xff     string
		want    string
	}{
		{"untrusted peer", nil, "198.51.100.7", "127.0.0.1"},
		{"trusted peer", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.5, 198.51.100.7", "198.51.100.7"},
		{"trusted hops skipped", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}, "198.51.100.7, 10.1.2.3", "198.51.100.7"},
		{"garbled hop", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "198.51.100.7, unknown", "127.0.0.1"},
		{"IPv6 hop", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "[2001:db8::7]:1234", "2001:db8::7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng := &scriptEngine{}
			r := &rig{t: t, keys: [][16]byte{randKey()}, obs: newRecObserver(), site: &siteRecorder{}}
			r.o = webproxy.Options{Host: testHost, Engine: eng, TrustedProxies: c.trusted,
				Secrets: webproxy.StaticSecrets([]webproxy.Secret{{Key: r.keys[0]}}), Logger: zaptest.NewLogger(t)}
			var err error
			if r.carrier, err = webproxy.New(r.o); err != nil {
				t.Fatal(err)
			}
			r.srv = newServer(t, r.carrier)
			o := r.client(0, wire.DD)
			o.Header = http.Header{"X-Forwarded-For": {c.xff}}
			mux, _, err := webclient.Connect(ctxT(t), o)
			if err != nil {
				t.Fatal(err)
			}
			defer mux.Close()
			if _, err := mux.Open(); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the stream reached the engine", func() bool {
				eng.mu.Lock()
				defer eng.mu.Unlock()
				return len(eng.seen) == 1
			})
			eng.mu.Lock()
			defer eng.mu.Unlock()
			if got := eng.seen[0].Remote.Addr().String(); got != c.want || eng.seen[0].Remote.Port() < 1024 {
				t.Errorf("client %v, want %s", eng.seen[0].Remote, c.want)
			}
			if eng.seen[0].Key != r.keys[0] {
				t.Error("the stream is not locked to the capability's secret")
			}
		})
	}
}
