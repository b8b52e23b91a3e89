package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/otlpreceiver"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// The binary exports its spans over real OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
// is set: the client handshake and the upstream dial in direct mode, the
// middle-proxy RPC handshake and the config refreshes in middle mode; none
// carries a secret or the client's address.
func TestTracesOverOTLP(t *testing.T) {
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run("direct "+proto, func(t *testing.T) {
			recv := otlpreceiver.Start(t)
			d := fakedc.Start(t, fakedc.Options{})
			env := baseEnv(t)
			var secret [16]byte
			copy(secret[:], "0123456789abcdef")
			env["SECRET"] = hex.EncodeToString(secret[:])
			var addrs []string
			for _, id := range []int{1, 2, 3, 4, 5, 203} {
				addrs = append(addrs, fmt.Sprintf("%d=%s,-%d=%s", id, d.Addr(), id, d.Addr()))
			}
			env["DC_ADDRS"] = strings.Join(addrs, ",")
			env["OTEL_EXPORTER_OTLP_PROTOCOL"] = proto
			if proto == "grpc" {
				env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.GRPCEndpoint()
			} else {
				env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.HTTPEndpoint()
			}
			p := start(t, env)
			p.waitReady()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, p.addr(), client.Options{Secret: secret, Mode: client.Padded, DC: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReqPQ(ctx); err != nil {
				t.Fatal(err)
			}
			local := c.NetConn().LocalAddr().String()
			c.Close()
			p.signal(syscall.SIGTERM) // flushes the batch
			p.wait(20 * time.Second)

			rss := recvSpans(t, recv)
			hs := requireSpan(t, rss, "mtproxy.handshake", map[string]any{
				"mtproxy.handshake.result": "ok", "mtproxy.transport": "padded", "telegram.dc": int64(2),
				"mtproxy.secret": "0",
			})
			dial := requireSpan(t, rss, "mtproxy.upstream.dial", map[string]any{"telegram.dc": int64(2)})
			if string(dial.TraceId) != string(hs.TraceId) {
				t.Errorf("the dial is not in the connection's trace")
			}
			noLeaks(t, rss, env["SECRET"], local)
		})
	}
	t.Run("middle", func(t *testing.T) {
		recv := otlpreceiver.Start(t)
		r := newMiddleRig(t)
		r.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = recv.GRPCEndpoint()
		p := start(t, r.env)
		p.waitReady()
		c := r.dial(p, client.Intermediate)
		reqPQ(t, c)
		local := c.NetConn().LocalAddr().String()
		c.Close()
		p.signal(syscall.SIGTERM)
		p.wait(20 * time.Second)
		rss := recvSpans(t, recv)
		requireSpan(t, rss, "mtproxy.middle.handshake", map[string]any{"telegram.dc": int64(2)})
		requireSpan(t, rss, "mtproxy.config.refresh", nil)
		requireSpan(t, rss, "mtproxy.handshake", map[string]any{"mtproxy.handshake.result": "ok"})
		noLeaks(t, rss, r.env["SECRET"], local)
	})
}

func recvSpans(t *testing.T, r *otlpreceiver.Receiver) []*tracepb.ResourceSpans {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.WaitForSpans(ctx, 2); err != nil {
		t.Fatalf("spans: %v", err)
	}
	rss := r.ResourceSpans()
	for _, rs := range rss {
		if got := otlpreceiver.Attrs(rs.GetResource().GetAttributes())["service.name"]; got != "mtproxy" {
			t.Errorf("service.name %v", got)
		}
	}
	return rss
}

// requireSpan finds a span by name with the given attribute values.
func requireSpan(t *testing.T, rss []*tracepb.ResourceSpans, name string, want map[string]any) *tracepb.Span {
	t.Helper()
	spans := otlpreceiver.SpansNamed(rss, name)
	if len(spans) == 0 {
		t.Fatalf("no %s span", name)
	}
next:
	for _, s := range spans {
		attrs := otlpreceiver.Attrs(s.Attributes)
		for k, v := range want {
			if attrs[k] != v {
				continue next
			}
		}
		return s
	}
	t.Fatalf("no %s span with %v; got %v", name, want, otlpreceiver.Attrs(spans[0].Attributes))
	return nil
}

// noLeaks checks that no attribute of any span holds the secret or the
// client's address.
func noLeaks(t *testing.T, rss []*tracepb.ResourceSpans, secret, clientAddr string) {
	t.Helper()
	_, port, _ := strings.Cut(clientAddr, ":")
	for _, rs := range rss {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				for k, v := range otlpreceiver.Attrs(s.Attributes) {
					sv := fmt.Sprint(v)
					if strings.Contains(strings.ToLower(sv), secret) {
						t.Errorf("span %s attribute %s holds the secret", s.Name, k)
					}
					if k == "client.port" || k == "network.peer.port" || k == "source.port" {
						if sv == port {
							t.Errorf("span %s attribute %s holds the client's port", s.Name, k)
						}
					}
					if strings.Contains(sv, clientAddr) {
						t.Errorf("span %s attribute %s holds the client's address", s.Name, k)
					}
				}
			}
		}
	}
}
