package doctor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
)

// serveInternal serves h on 127.0.0.1:e["INTERNAL_PORT"], as a running
// proxy would.
func serveInternal(t *testing.T, e env, h http.Handler) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+e["INTERNAL_PORT"])
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
}

// healthyProxy answers /healthz and /stats like the proxy.
func healthyProxy(statsStatus int) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		if statsStatus != http.StatusOK {
			w.WriteHeader(statsStatus)
			return
		}
		fmt.Fprint(w, "uptime\t42\nready_targets\t5\ntotal_special_connections\t3\ntotal_max_special_connections\t60000\nversion\tmtproxy-test\n"+
			"client_hello_ja4_1\tt13d1516h2_8daaf6152771_e5627efa2ab1 12 ok=10\nclient_hello_ja4_2\tt13d1517h2_8daaf6152771_b1ff8ab2d16f 3 ok=0\nclient_hello_ja4_3\tnone\n")
	})
	return mux
}

func TestCheckPortFree(t *testing.T) {
	e := baseEnv(t)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkPort(context.Background()), OK, "PORT "+e["PORT"]+" is free on 127.0.0.1")
	want(t, s.checkInternalPort(context.Background()), OK, "INTERNAL_PORT "+e["INTERNAL_PORT"]+" is free")
}

func TestCheckPortTaken(t *testing.T) {
	e := baseEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+e["PORT"])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkPort(context.Background()), Fail, "in use by another program", "set another PORT")
}

func TestCheckPortHeldByRunningProxy(t *testing.T) {
	e := baseEnv(t)
	serveInternal(t, e, healthyProxy(http.StatusOK))
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkInternalPort(context.Background()), OK, "in use by the running proxy (healthy on 127.0.0.1:"+e["INTERNAL_PORT"])
}

func TestCheckPortNotOurAddress(t *testing.T) {
	e := baseEnv(t)
	e["BIND"] = "203.0.113.200"
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkPort(context.Background()), Fail, "BIND 203.0.113.200 is not an address of this host")
}

func TestCheckRunning(t *testing.T) {
	cases := []struct {
		name      string
		h         http.Handler
		st        Status
		fragments []string
	}{
		{"none", nil, Skip, []string{"no proxy answers on 127.0.0.1:"}},
		{"healthy", healthyProxy(http.StatusOK), OK, []string{"healthy on", "version mtproxy-test, uptime 42s, 3 of 60000 client connections, ready_targets 5",
			"client hello fingerprints (JA4, hellos, authenticated): t13d1516h2_8daaf6152771_e5627efa2ab1 12 ok=10; t13d1517h2_8daaf6152771_b1ff8ab2d16f 3 ok=0"}},
		{"stats refused", healthyProxy(http.StatusNotFound), OK, []string{"/stats: HTTP 404 (STATS_ALLOW"}},
		{"healthz refused", http.NotFoundHandler(), Fail, []string{"/healthz answered HTTP 404", "HEALTH_ALLOW"}},
		{"unhealthy", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "draining", http.StatusServiceUnavailable)
		}), Fail, []string{"/healthz answered HTTP 503: draining", "another program on INTERNAL_PORT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			if c.h != nil {
				serveInternal(t, e, c.h)
			}
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkRunning(context.Background()), c.st, c.fragments...)
		})
	}
}

// Something that is no web server on INTERNAL_PORT.
func TestCheckRunningNotHTTP(t *testing.T) {
	e := baseEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+e["INTERNAL_PORT"])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH\r\n"))
			c.Close()
		}
	}()
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkRunning(context.Background()), Fail, "accepted a connection but /healthz failed")
	want(t, s.checkInternalPort(context.Background()), Fail, "in use by another program")
}

func TestParseStats(t *testing.T) {
	m := parseStats("a\t1\nno tab\n\tempty key\nb\t 2 \nc\t\n")
	if len(m) != 3 || m["a"] != "1" || m["b"] != "2" || m["c"] != "" {
		t.Errorf("parseStats = %v", m)
	}
}

func FuzzParseStats(f *testing.F) {
	f.Add("uptime\t42\nready_targets\t5\n")
	f.Add("version\tmtproxy 1.0\r\n\n\t\n")
	f.Fuzz(func(t *testing.T, body string) {
		for k := range parseStats(body) {
			if k == "" {
				t.Fatal("empty key")
			}
		}
	})
}
