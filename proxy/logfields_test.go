package proxy_test

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A session's log lines carry the connection's scope: conn_id, secret (its
// label), dc and transport, and nothing of the secret itself.
func TestSessionLogFields(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	f := newFixture(t, with(func(o *proxy.Options) { o.Logger = zap.New(core) }))
	c := f.dial(f.clientOpts(client.Padded, 0, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	// The line is written before the session starts, so before the answer.
	lines := logs.FilterMessage("client authenticated").All()
	if len(lines) != 1 {
		t.Fatalf("%d 'client authenticated' lines, want 1", len(lines))
	}
	got := lines[0].ContextMap()
	want := map[string]any{"secret": "alice", "dc": 2, "transport": "padded"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v (%T), want %v; fields %v", k, got[k], got[k], v, got)
		}
	}
	if id, ok := got["conn_id"].(uint64); !ok || id == 0 {
		t.Errorf("conn_id = %v, want a connection id; fields %v", got["conn_id"], got)
	}
}
