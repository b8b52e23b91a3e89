package proxy_test

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The engine's spans, checked with the SDK's in-memory recorder: one
// server span per client connection carrying the handshake's outcome, a
// client span per upstream dial as its child, semantic-convention
// attributes, and neither the secret nor the client's address.
func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	d := fakedc.Start(t, fakedc.Options{})
	dcAddr := netip.MustParseAddrPort(d.Addr())
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {dcAddr}})
	key := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	_, addr := serveOptions(t, proxy.Options{
		Secrets:        []proxy.Secret{{Name: "alice", Key: key}},
		Upstream:       direct.New(direct.Options{Table: table, TracerProvider: tp}),
		TracerProvider: tp,
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReqPQ(ctx); err != nil {
		t.Fatal(err)
	}
	clientAddr := c.NetConn().LocalAddr().String()
	// A second client with a wrong secret: its span records the failure.
	bad, err := client.Dial(ctx, addr, client.Options{Secret: [16]byte{9}, Mode: client.Intermediate, DC: 2})
	if err == nil {
		bad.Close()
	}
	c.Close()

	var hs, failed, dial sdktrace.ReadOnlySpan
	deadline := time.Now().Add(10 * time.Second)
	for (hs == nil || failed == nil || dial == nil) && time.Now().Before(deadline) {
		for _, s := range rec.Ended() {
			attrs := attrMap(s)
			switch {
			case s.Name() == "mtproxy.handshake" && attrs["mtproxy.handshake.result"] == "ok":
				hs = s
			case s.Name() == "mtproxy.handshake":
				failed = s
			case s.Name() == "mtproxy.upstream.dial":
				dial = s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if hs == nil || failed == nil || dial == nil {
		t.Fatalf("spans missing: handshake %v, failed handshake %v, dial %v", hs != nil, failed != nil, dial != nil)
	}
	want := map[string]string{
		"mtproxy.transport": "intermediate", "telegram.dc": "2", "mtproxy.secret": "alice",
		"network.transport": "tcp", "network.local.address": "127.0.0.1",
	}
	got := attrMap(hs)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("handshake span %s = %q, want %q", k, got[k], v)
		}
	}
	if hs.SpanKind() != trace.SpanKindServer || dial.SpanKind() != trace.SpanKindClient {
		t.Errorf("span kinds %v / %v", hs.SpanKind(), dial.SpanKind())
	}
	if dial.Parent().SpanID() != hs.SpanContext().SpanID() {
		t.Errorf("the dial span is not a child of the connection's span")
	}
	dialAttrs := attrMap(dial)
	if dialAttrs["server.address"] != dcAddr.Addr().String() || dialAttrs["server.port"] != "" && dialAttrs["server.port"] != stringPort(dcAddr) {
		t.Errorf("dial span address attributes %v", dialAttrs)
	}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			v := kv.Value.String()
			if strings.Contains(v, hex.EncodeToString(key[:])) || strings.Contains(v, clientAddr) {
				t.Errorf("span %s attribute %s leaks %q", s.Name(), kv.Key, v)
			}
			if s.Name() == "mtproxy.handshake" && (kv.Key == "client.address" || kv.Key == "network.peer.address") {
				t.Errorf("span %s records the client's address (%s)", s.Name(), kv.Key)
			}
		}
	}
}

func stringPort(a netip.AddrPort) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// attrMap returns a span's attributes as strings by key.
func attrMap(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
