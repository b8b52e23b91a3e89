package e2e

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/rawconn"
)

// fillToLimit opens limit authenticated clients, then checks the next
// client is closed once it authenticates, without a byte, and that the
// rejection is visible on /metrics and /stats. It returns the open clients.
func fillToLimit(t *testing.T, r *rig, limit int) []*client.Conn {
	t.Helper()
	if v, _ := metric(t, r.p, "mtproxy_client_connections_limit", nil); v != float64(limit) {
		t.Fatalf("/metrics limit %v, want %d", v, limit)
	}
	if v, _ := statsValue(t, r.p, "total_max_special_connections"); v != strconv.Itoa(limit) {
		t.Fatalf("/stats total_max_special_connections %q, want %d", v, limit)
	}
	waitActive(t, r, 0) // waitReady's probe connection has been let go
	var open []*client.Conn
	for range limit {
		c := dial(t, r.p.addr(), opts(t, client.Padded, secret1Hex, 2))
		reqPQ(t, c)
		open = append(open, c)
	}
	if v, _ := statsValue(t, r.p, "total_special_connections"); v != strconv.Itoa(limit) {
		t.Fatalf("/stats total_special_connections %q with %d clients open", v, limit)
	}

	h, err := client.NewHandshake(opts(t, client.Padded, secret1Hex, 2))
	if err != nil {
		t.Fatal(err)
	}
	over, err := net.Dial("tcp", r.p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	over.Write(h.Header[:])
	closedWithoutAnswer(t, over)
	waitCount(t, r.p, "mtproxy_client_connections_rejected_total", map[string]string{"reason": "limit"}, 1)
	if v, _ := statsValue(t, r.p, "accept_connection_limit_failed"); v != "1" {
		t.Fatalf("/stats accept_connection_limit_failed %q, want 1", v)
	}
	for _, c := range open {
		echo(t, c, 32, false) // the clients within the limit are untouched
	}
	return open
}

// waitActive waits until the proxy counts n open client connections.
func waitActive(t *testing.T, r *rig, n int) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		v, _ := metric(t, r.p, "mtproxy_client_connections_active", nil)
		if v == float64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v connections active, want %d", v, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// MAX_CONNECTIONS bounds concurrent authenticated clients: one over is
// closed once it authenticates and counted; when a client leaves, a new
// one gets in.
func TestMaxConnections(t *testing.T) {
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["MAX_CONNECTIONS"] = "3"
		env["WORKERS"] = "4" // MAX_CONNECTIONS wins over the WORKERS default
	})
	open := fillToLimit(t, r, 3)
	open[0].Close()
	waitActive(t, r, 2)
	c := dial(t, r.p.addr(), opts(t, client.Abridged, secret1Hex, 2))
	reqPQ(t, c)
}

// The official limit is -C per worker times WORKERS (60000 per worker by
// default); -C makes it small enough to reach.
func TestWorkersScaleTheLimit(t *testing.T) {
	t.Run("default per worker", func(t *testing.T) {
		r := startRig(t, fakedc.Options{}, func(env map[string]string) { env["WORKERS"] = "3" })
		if v, _ := metric(t, r.p, "mtproxy_client_connections_limit", nil); v != 180000 {
			t.Fatalf("limit %v with WORKERS=3, want 180000", v)
		}
	})
	t.Run("-C 2 with WORKERS=2", func(t *testing.T) {
		r := startRig(t, fakedc.Options{}, func(env map[string]string) { env["WORKERS"] = "2" }, "-C", "2")
		fillToLimit(t, r, 4)
	})
}

// A client that starts a handshake and stalls is counted as a timeout
// once HANDSHAKE_TIMEOUT passes and, without a fronting host, drained: it
// is closed without an answer once silent for DRAIN_TIMEOUT, as a
// server's idle timeout closes it, not at the handshake's fixed timeout.
func TestStalledHandshakeClosed(t *testing.T) {
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["HANDSHAKE_TIMEOUT"] = "1s"
		env["DRAIN_TIMEOUT"] = "2s"
	})
	h, err := client.NewHandshake(opts(t, client.Abridged, secret1Hex, 2))
	if err != nil {
		t.Fatal(err)
	}
	c := rawconn.DialWrite(t, r.p.addr(), h.Header[:40])
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("unknown", "timeout"), 1)
	closedWithoutAnswer(t, c)
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("timeout", "limit"), 1)
	if n := r.headerConns(); n != 0 {
		t.Fatalf("the DC got %d connections", n)
	}
}
