package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// python is the interpreter the Debian python3-telethon package serves.
const python = "/usr/bin/python3"

// needTelethon skips the test when Telethon cannot be imported (CI
// installs python3-telethon).
func needTelethon(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import telethon").CombinedOutput(); err != nil {
		t.Skipf("Telethon is not importable (%v): %s", err, out)
	}
}

// Real Telethon 1.25 clients, in each MTProxy connection class, get through
// the binary to DC 2: the fake DC's resPQ reaches them intact, since they go
// on with req_DH_params (a 340-byte message the fake DC records).
func TestTelethon(t *testing.T) {
	needTelethon(t)
	r := startRig(t, fakedc.Options{}, nil)
	port := r.p.env["PORT"]
	cases := []struct {
		mode, secret, transport string
		want                    framing.Transport
	}{
		{"abridged", secret1Hex, "abridged", framing.Abridged},
		{"intermediate", secret1Hex, "intermediate", framing.Intermediate},
		{"randomized", "dd" + secret1Hex, "padded", framing.Padded},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			ctx := bounded(t)
			exited := startTelethon(t, ctx, port, c.secret, c.mode)
			got := make(chan fakedc.ConnInfo, 1)
			go func() {
				ci, err := r.dc.WaitFor(ctx, func(ci fakedc.ConnInfo) bool { return ci.ReqDH != nil && ci.Transport == c.want })
				if err == nil {
					got <- ci
				}
				close(got)
			}()
			var ci fakedc.ConnInfo
			select {
			case info, ok := <-got:
				if !ok {
					t.Fatal("no req_DH_params within the bound")
				}
				ci = info
			case err := <-exited:
				exited <- err
				t.Fatalf("Telethon ended (%v) before sending req_DH_params", err)
			}
			if ci.DC != 2 || ci.ReqPQ != 1 {
				t.Fatalf("the DC saw DC %d and %d req_pq_multi, want DC 2 and 1", ci.DC, ci.ReqPQ)
			}
			if ctor, ok := mtproto.Constructor(ci.ReqDH); len(ci.ReqDH) != 340 || !ok || ctor != mtproto.CtorReqDHParams {
				t.Fatalf("req_DH_params is %d bytes with constructor %#x, want 340 and %#x", len(ci.ReqDH), ctor, mtproto.CtorReqDHParams)
			}
			waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes(c.transport, "ok"), 1)
		})
	}
}

// startTelethon runs the connect script against the proxy on port, bounded
// by ctx, and returns where its exit arrives. Telethon waits for a DH
// answer that never comes, so the test's cleanup kills it (and shows its
// output when the test failed).
func startTelethon(t *testing.T, ctx context.Context, port, secret, mode string) chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, python, "testdata/telethon_connect.py", "127.0.0.1", port, secret, mode, "25")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	done := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("telethon output:\n%s", out.String())
		}
	})
	return exited
}
