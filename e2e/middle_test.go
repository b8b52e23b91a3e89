package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

const middleTag = "0123456789abcdeffedcba9876543210"

// middleRig is the binary in middle mode (MODE=middle: the middle proxies
// only) with an ad tag, a fake core.telegram.org and one fake middle proxy
// serving DC 2.
type middleRig struct {
	t      *testing.T
	core   *fakecore.Server
	mid    *fakemiddle.Server
	env    map[string]string
	secret [16]byte
	pxs    []byte // the proxy secret
}

func newMiddleRig(t *testing.T) *middleRig {
	t.Helper()
	tag := [16]byte{}
	hex.Decode(tag[:], []byte(middleTag))
	r := newFakeTelegram(t, &tag)
	r.env["TAG"] = middleTag
	r.env["MODE"] = "middle"
	return r
}

// newFakeTelegram is Telegram's middle-proxy side for the binary: a fake
// core.telegram.org serving the files, which name one fake middle proxy
// for DCs 2 and -2 expecting tag (nil: requests carry none). The
// environment has no MODE: the test sets it.
func newFakeTelegram(t *testing.T, tag *[16]byte) *middleRig {
	t.Helper()
	r := &middleRig{t: t, env: baseEnv(t), pxs: proxySecret(t)}
	_, _ = rand.Read(r.secret[:])
	port, _ := strconv.Atoi(r.env["PORT"])
	r.mid = r.newMiddle(fakemiddle.Options{
		ExpectTag:       tag,
		ExpectProxyAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)),
	})
	r.core = fakecore.New(r.pxs, r.config(r.mid), nil)
	t.Cleanup(r.core.Close)
	r.env["SECRET"] = hex.EncodeToString(r.secret[:])
	r.env["PROXY_SECRET_URL"] = r.core.SecretURL()
	r.env["PROXY_CONFIG_URL"] = r.core.ConfigURL()
	return r
}

// proxySecret returns a random valid getProxySecret file.
func proxySecret(t testing.TB) []byte {
	t.Helper()
	for {
		b := make([]byte, 128)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		if _, err := rpc.ParseProxySecret(b); err == nil {
			return b
		}
	}
}

func (r *middleRig) newMiddle(o fakemiddle.Options) *fakemiddle.Server {
	r.t.Helper()
	o.Secret = r.pxs
	m, err := fakemiddle.New(o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { m.Close() })
	return m
}

// config lists the middle proxies for DC 2 and its media DC, default 2.
func (r *middleRig) config(mids ...*fakemiddle.Server) []byte {
	var b strings.Builder
	b.WriteString("# e2e\ndefault 2;\n")
	for _, dc := range []int{2, -2} {
		for _, m := range mids {
			fmt.Fprintf(&b, "proxy_for %d %s;\n", dc, m.Addr())
		}
	}
	return []byte(b.String())
}

func (r *middleRig) dial(p *proc, mode client.Mode) *client.Conn {
	r.t.Helper()
	return dial(r.t, p.addr(), client.Options{Secret: r.secret, Mode: mode, DC: 2, Domain: "example.com"})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// In middle mode with a TAG every transport reaches the
// fake middle proxy, which checks each RPC_PROXY_REQ (tag, flags, client
// and proxy addresses), and /stats carries the middle-proxy numbers.
func TestMiddleModeEveryTransport(t *testing.T) {
	r := newMiddleRig(t)
	r.env["TLS_DOMAIN"] = "example.com"
	p := start(t, r.env)
	p.waitReady()
	if !strings.Contains(p.Stdout(), "middle") {
		t.Errorf("start-up block does not say the mode:\n%s", p.Stdout())
	}
	modes := []client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			c := r.dial(p, mode)
			reqPQ(t, c)
			// An encrypted-looking packet is echoed by the fake.
			pkt := make([]byte, 96)
			_, _ = rand.Read(pkt)
			if err := c.WritePacket(pkt, false); err != nil {
				t.Fatal(err)
			}
			got, err := c.ReadPacket()
			if err != nil || string(got.Data) != string(pkt) {
				t.Fatalf("echo: %v", err)
			}
		})
	}
	if v := r.mid.Violations(); len(v) > 0 {
		t.Fatalf("the fake middle proxy saw bad requests:\n%s", strings.Join(v, "\n"))
	}
	reqs := r.mid.Requests()
	if len(reqs) != 2*len(modes) {
		t.Fatalf("%d requests reached the middle proxy, want %d", len(reqs), 2*len(modes))
	}
	for _, q := range reqs {
		if !q.Client.Addr().IsLoopback() || q.Client.Port() == 0 {
			t.Errorf("client address %v", q.Client)
		}
	}
	s := statsPage(t, p)
	want := map[string]string{
		"tot_forwarded_queries": "8", "tot_forwarded_responses": "8", "dropped_queries": "0",
		"proxy_tag_set": "1", "total_ready_targets": "1", "total_declared_targets": "1",
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("/stats %s = %q, want %q", k, s[k], v)
		}
	}
	if s["config_filename"] != r.env["PROXY_CONFIG_FILE"] || s["config_md5"] == "" || s["config_md5"] == "0" {
		t.Errorf("/stats config keys: filename %q md5 %q", s["config_filename"], s["config_md5"])
	}
	if b, err := os.ReadFile(r.env["PROXY_CONFIG_FILE"]); err != nil || len(b) == 0 {
		t.Errorf("PROXY_CONFIG_FILE not written: %v", err)
	}
}

// SIGHUP downloads the config again and swaps in a new middle proxy
// without dropping a connected client.
func TestMiddleModeRefreshOnSIGHUP(t *testing.T) {
	r := newMiddleRig(t)
	r.env["CONFIG_REFRESH_INTERVAL"] = "1h"
	p := start(t, r.env)
	p.waitReady()
	old := r.dial(p, client.Intermediate)
	reqPQ(t, old)
	md5 := statsPage(t, p)["config_md5"]

	second := r.newMiddle(fakemiddle.Options{})
	r.core.Set(fakecore.PathConfig, r.config(r.mid, second))
	p.signal(syscall.SIGHUP)
	eventually(t, "the new config", func() bool {
		s := statsPage(t, p)
		return s["config_md5"] != md5 && s["total_declared_targets"] == "2"
	})
	// The old client still talks through its RPC connection.
	pkt := make([]byte, 64)
	_, _ = rand.Read(pkt)
	if err := old.WritePacket(pkt, false); err != nil {
		t.Fatal(err)
	}
	if got, err := old.ReadPacket(); err != nil || string(got.Data) != string(pkt) {
		t.Fatalf("client connected before the refresh: %v", err)
	}
	// A broken config is refused and the good one stays.
	md5 = statsPage(t, p)["config_md5"]
	const refused = "the last good one stays in use"
	before := strings.Count(p.Stderr(), refused)
	r.core.Set(fakecore.PathConfig, []byte("proxy_for 2 not-an-address;\n"))
	p.signal(syscall.SIGHUP)
	eventually(t, "the refused refresh in the log", func() bool {
		return strings.Count(p.Stderr(), refused) > before
	})
	if s := statsPage(t, p); s["config_md5"] != md5 {
		t.Fatalf("a broken config replaced the good one")
	}
	reqPQ(t, r.dial(p, client.Abridged))
}

// Telegram's files are cached: with core.telegram.org down the proxy
// starts from PROXY_SECRET_FILE and PROXY_CONFIG_FILE; with no cache it
// fails with one clear line.
func TestMiddleModeCacheFallback(t *testing.T) {
	r := newMiddleRig(t)
	p := start(t, r.env)
	p.waitReady()
	p.signal(syscall.SIGTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	r.core.SetDown(true)
	p = start(t, r.env)
	p.waitReady()
	reqPQ(t, r.dial(p, client.Padded))
	p.signal(syscall.SIGTERM)
	p.wait(20 * time.Second)

	env := baseEnv(t)
	for _, k := range []string{"SECRET", "TAG", "MODE", "PROXY_SECRET_URL", "PROXY_CONFIG_URL"} {
		env[k] = r.env[k]
	}
	code, _, stderr := runOnce(t, env)
	if code == 0 || !strings.Contains(stderr, "[F]") {
		t.Fatalf("no cache and no download: exit %d\n%s", code, stderr)
	}
}

// The middle proxy dying mid-stream closes its clients cleanly; once it is
// back, new clients get through again.
func TestMiddleModeMiddleProxyDies(t *testing.T) {
	r := newMiddleRig(t)
	p := start(t, r.env)
	p.waitReady()
	c := r.dial(p, client.Intermediate)
	reqPQ(t, c)
	before := r.mid.Stats()
	r.mid.DropAll()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.ReadPacket(); err == nil {
		t.Fatal("the client of a dead RPC connection got a packet")
	} else if strings.Contains(err.Error(), "timeout") {
		t.Fatalf("the client was left hanging: %v", err)
	}
	// Every dropped RPC connection is replaced before a new client comes,
	// or it could be bound to one the proxy has not yet seen die.
	eventually(t, "the RPC connections re-established", func() bool {
		return r.mid.Stats().Handshakes >= before.Handshakes+before.Conns
	})
	eventually(t, "a ready middle proxy", func() bool { return statsPage(t, p)["total_ready_targets"] == "1" })
	reqPQ(t, r.dial(p, client.Intermediate))
}

// Real Telethon clients in each MTProxy connection class reach the fake
// middle proxy through the binary in middle mode with a TAG: the resPQ it
// answers in RPC_PROXY_ANS reaches them intact, since they go on with
// req_DH_params, which arrives in an RPC_PROXY_REQ carrying the tag.
func TestMiddleModeTelethon(t *testing.T) {
	needTelethon(t)
	r := newMiddleRig(t)
	p := start(t, r.env)
	p.waitReady()
	secret := hex.EncodeToString(r.secret[:])
	for _, c := range []struct{ mode, secret string }{
		{"abridged", secret}, {"intermediate", secret}, {"randomized", "dd" + secret},
	} {
		t.Run(c.mode, func(t *testing.T) {
			before := countReqDH(r.mid.Requests())
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			exited := startTelethon(t, ctx, r.env["PORT"], c.secret, c.mode)
			for countReqDH(r.mid.Requests()) == before {
				select {
				case err := <-exited:
					exited <- err
					t.Fatalf("Telethon ended (%v) before its req_DH_params reached the middle proxy", err)
				case <-ctx.Done():
					t.Fatal("no req_DH_params within the bound")
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	if v := r.mid.Violations(); len(v) > 0 {
		t.Fatalf("the fake middle proxy saw bad requests:\n%s", strings.Join(v, "\n"))
	}
}

// countReqDH counts the req_DH_params messages among the requests.
func countReqDH(reqs []fakemiddle.Request) int {
	n := 0
	for _, q := range reqs {
		if _, _, err := mtproto.ParseReqDHParams(q.Packet); err == nil {
			n++
		}
	}
	return n
}
