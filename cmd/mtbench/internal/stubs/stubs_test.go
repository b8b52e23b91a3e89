package stubs

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/socks5"
)

// run starts f in the background and returns the KEY=value lines it
// prints first (want of them), and a function stopping it.
func run(t *testing.T, want int, f func(ctx context.Context, out io.Writer) error) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { err := f(ctx, pw); pw.Close(); done <- err }()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("stub: %v", err)
		}
	})
	kv := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(kv) < want && sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("not KEY=value: %q", sc.Text())
		}
		kv[k] = v
	}
	if len(kv) < want {
		t.Fatalf("got %v, want %d keys", kv, want)
	}
	return kv
}

// The DC and SOCKS5 stubs chain like the mtg benchmark does: a SOCKS5
// CONNECT to a Telegram address reaches the fake DC.
func TestDCAndSocks5(t *testing.T) {
	dc := run(t, 1, func(ctx context.Context, out io.Writer) error {
		return DC(ctx, out, fakedc.Packets, "127.0.0.1:0")
	})["DC_ADDR"]
	s := run(t, 1, func(ctx context.Context, out io.Writer) error {
		return Socks5(ctx, out, dc)
	})["SOCKS5_ADDR"]
	if dc == "" || s == "" || dc == s {
		t.Fatalf("addresses %q %q", dc, s)
	}
	// A raw SOCKS5 CONNECT to DC 2's address; the fake DC then sees a
	// connection (which sends no header and is dropped).
	c, err := net.DialTimeout("tcp", s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// greeting: v5, 1 method, no auth; CONNECT 149.154.167.51:443.
	req := []byte{5, 1, 0, 5, socks5.CmdConnect, 0, socks5.AddrIPv4, 149, 154, 167, 51, 443 >> 8, 443 & 0xff}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var resp [2 + 10]byte // method choice, then the reply with an IPv4 address
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		t.Fatal(err)
	}
	if resp[0] != 5 || resp[1] != 0 || resp[2] != 5 || resp[3] != socks5.ReplySucceeded {
		t.Fatalf("SOCKS5 answer % x", resp)
	}
}

func TestMiddle(t *testing.T) {
	dir := t.TempDir()
	kv := run(t, 5, func(ctx context.Context, out io.Writer) error {
		return Middle(ctx, out, "0123456789abcdef0123456789abcdef", dir)
	})
	get := func(url string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", url, resp.StatusCode, err)
		}
		return b
	}
	if _, err := rpc.ParseProxySecret(get(kv["PROXY_SECRET_URL"])); err != nil {
		t.Errorf("proxy secret: %v", err)
	}
	conf, err := tgconfig.Parse(get(kv["PROXY_CONFIG_URL"]))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	mid := netip.MustParseAddrPort(kv["MIDDLE_ADDR"])
	for _, dc := range []int{2, -2, 5} {
		if a := conf.Targets[dc]; len(a) != 1 || a[0] != mid {
			t.Errorf("DC %d served by %v, want %v", dc, a, mid)
		}
	}
	// The files hold what the URLs serve.
	for key, url := range map[string]string{"PROXY_SECRET_FILE": "PROXY_SECRET_URL", "PROXY_CONFIG_FILE": "PROXY_CONFIG_URL"} {
		b, err := os.ReadFile(kv[key])
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !bytes.Equal(b, get(kv[url])) {
			t.Errorf("%s differs from %s", key, url)
		}
	}
}

func TestMiddleBadTag(t *testing.T) {
	for _, tag := range []string{"abc", strings.Repeat("zz", 16)} {
		if err := Middle(context.Background(), io.Discard, tag, ""); err != ErrTag {
			t.Errorf("tag %q: %v", tag, err)
		}
	}
}

func TestProxyConfigParses(t *testing.T) {
	c, err := tgconfig.Parse(ProxyConfig("127.0.0.1:8888"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(nil); err != nil || c.Default != 2 || len(c.DCs()) != 10 {
		t.Errorf("default %d, DCs %v, validate %v", c.Default, c.DCs(), err)
	}
}
