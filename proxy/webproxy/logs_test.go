package webproxy_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/webclient"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logBuffer keeps every log line, JSON-encoded, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) Sync() error { return nil }

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// Nothing the carrier logs, at any level, holds a URI, a capability, a
// bootstrap or session token, or a WebSocket protocol: a whole session in
// each mode, a protocol error, and requests of every kind are run and the
// log is searched.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, mode := range []webproxy.Mode{webproxy.ModeHTTPS, webproxy.ModeWebSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			logs := &logBuffer{}
			core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), logs, zap.DebugLevel)
			r := newRig(t, rigOpts{options: func(o *webproxy.Options) { o.Mode = mode; o.Logger = zap.New(core) }})
			o := r.client(0, wire.DD)
			o.Header = http.Header{"X-Forwarded-For": {"198.51.100.7"}}
			page, _, boot, err := webclient.Bootstrap(ctxT(t), o)
			if err != nil {
				t.Fatal(err)
			}
			_ = page
			s, err := webclient.Create(ctxT(t), o, boot)
			if err != nil {
				t.Fatal(err)
			}
			var tr webclient.Transport = webclient.HTTPS(s)
			if mode == webproxy.ModeWebSocket {
				if tr, err = webclient.WebSocket(ctxT(t), s); err != nil {
					t.Fatal(err)
				}
			}
			mux := webclient.NewMux(tr)
			st, err := mux.Open()
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.Over(ctxT(t), st, client.Options{Secret: r.keys[0], Mode: client.Padded, DC: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReqPQ(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			capability := wire.Capability(wire.SecretBytes(r.keys[0], wire.DD), testHost, "")
			for _, q := range []req{
				{method: "GET", path: "/secret-path?bridge=" + capability + "&x=1"},
				{method: "GET", path: "/another-secret-path"},
				{method: "POST", path: "/api/v1/session", header: http.Header{"Authorization": {"Bearer " + boot}}},
			} {
				r.do(t, q)
			}
			_ = mux.Close()
			// A protocol error on a second session is logged too.
			_, _, boot2, _ := webclient.Bootstrap(ctxT(t), o)
			s2, err := webclient.Create(ctxT(t), o, boot2)
			if err != nil {
				t.Fatal(err)
			}
			var tr2 webclient.Transport = webclient.HTTPS(s2)
			if mode == webproxy.ModeWebSocket {
				if tr2, err = webclient.WebSocket(ctxT(t), s2); err != nil {
					t.Fatal(err)
				}
			}
			_ = tr2.Send(ctxT(t), []byte{0x07, 0, 0, 1, 0, 0, 0, 0}) // an unknown frame type
			eventually(t, "the sessions ended", func() bool { return r.carrier.Sessions() == 0 })
			lines := logs.lines()
			if len(lines) < 4 {
				t.Fatalf("only %d log lines", len(lines))
			}
			// The search covers the lines that matter: the protocol error,
			// and the client's address at debug level.
			all := strings.Join(lines, "\n")
			if !strings.Contains(all, "broke the protocol") || !strings.Contains(all, "198.51.100.7") {
				t.Errorf("the log lacks the protocol error or the debug client address:\n%s", all)
			}
			for _, line := range lines {
				notContains(t, "log line", line, capability, boot, boot2, s.Token, s2.Token, "tproxy-v1",
					"secret-path", "/api/", "bridge=", "Bearer")
				if !strings.Contains(line, `"level":"debug"`) && strings.Contains(line, "198.51.100.7") {
					t.Errorf("a client address above debug: %s", line)
				}
			}
		})
	}
}
