package e2e

import (
	"bytes"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// recordedSession dials with every written byte recorded, proves the
// session with a req_pq_multi and returns the connection, still open.
func recordedSession(t *testing.T, addr string, m client.Mode) *client.Conn {
	t.Helper()
	o := opts(t, m, secret1Hex, 2)
	o.Record = true
	c := dial(t, addr, o)
	reqPQ(t, c)
	return c
}

// A replayed obfuscated2 session (header and first packet, byte for byte)
// is refused in every transport while the first use keeps working: without
// fronting the replayer gets silence and is closed when it leaves; the DC
// never sees it.
func TestReplayedHeaderDrained(t *testing.T) {
	r := startRig(t, fakedc.Options{}, nil)
	for i, m := range []client.Mode{client.Abridged, client.Intermediate, client.Padded} {
		t.Run(m.String(), func(t *testing.T) {
			c := recordedSession(t, r.p.addr(), m)
			rc, err := net.Dial("tcp", r.p.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if _, err := rc.Write(c.Written()); err != nil {
				t.Fatal(err)
			}
			waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes(m.String(), "replay"), 1)
			silent(t, rc)
			rc.(*net.TCPConn).CloseWrite()
			closedWithoutAnswer(t, rc)
			waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("replay", "drained"), float64(i+1))

			echo(t, c, 128, false) // the genuine session is untouched
			if st := r.clientStats(); st.ReqPQ != int64(i+1) || st.HeaderOK != int64(i+1) {
				t.Fatalf("the DC answered %d req_pq on %d connections, want %d: the replay got through", st.ReqPQ, st.HeaderOK, i+1)
			}
		})
	}
}

// With a fronting host, replays go to the real site: what it reads of a
// replayed obfuscated2 session or FakeTLS session (all of the hello, then
// what followed it) is exactly what was replayed; only the first uses
// reach the DC.
func TestReplaysFronted(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { useFront(env, front) })

	o2 := recordedSession(t, r.p.addr(), client.Intermediate)
	sendAndClose(t, r.p.addr(), o2.Written())
	// A TLS site may stop reading at the first record header, 5 bytes.
	sawStart(t, frontConn(t, front, 0), o2.Written(), 5)
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("intermediate", "replay"), 1)

	tls := recordedSession(t, r.p.addr(), client.FakeTLS)
	replayed := tls.Written()
	sendAndClose(t, r.p.addr(), replayed)
	seen := frontConn(t, front, 1).FirstBytes
	hello := tls.Handshake().Hello
	if !bytes.HasPrefix(seen, hello) || !bytes.HasPrefix(replayed, seen) {
		t.Fatalf("the site read %d bytes that are not the replayed hello (%d bytes) and what followed", len(seen), len(hello))
	}
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", "replay"), 1)

	echo(t, o2, 64, false)
	echo(t, tls, 64, false)
	if st := r.clientStats(); st.ReqPQ != 2 || st.HeaderOK != 2 {
		t.Fatalf("the DC answered %d req_pq on %d connections, want the 2 genuine ones", st.ReqPQ, st.HeaderOK)
	}
}

// The replay cache outlives a restart (REPLAY_CACHE_FILE): a session
// recorded before SIGTERM and replayed to the restarted proxy is refused.
// The cache's size is exported.
func TestReplayCacheAcrossRestart(t *testing.T) {
	var env map[string]string
	r := startRig(t, fakedc.Options{}, func(e map[string]string) { env = e })
	c := recordedSession(t, r.p.addr(), client.Intermediate)
	waitCount(t, r.p, "mtproxy_replay_cache_entries", nil, 1)
	c.Close()
	r.p.signal(syscall.SIGTERM)
	if code := r.p.wait(safety); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if st, err := os.Stat(env["REPLAY_CACHE_FILE"]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("replay cache file: %v %v", st, err)
	}

	p := start(t, env)
	p.waitReady()
	if !strings.Contains(p.Stderr(), "replay cache read back") {
		t.Fatalf("no line about the cache read back:\n%s", p.Stderr())
	}
	waitCount(t, p, "mtproxy_replay_cache_entries", nil, 1)
	sendAndClose(t, p.addr(), c.Written())
	waitCount(t, p, "mtproxy_client_handshakes_total", handshakes("intermediate", "replay"), 1)
	if v, _ := metric(t, p, "mtproxy_client_handshakes_total", handshakes("intermediate", "ok")); v != 0 {
		t.Fatalf("the restarted proxy accepted %v intermediate sessions, want none", v)
	}
}
