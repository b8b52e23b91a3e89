package e2e

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// waitRefused waits until the client port refuses connections: the proxy
// stopped accepting.
func waitRefused(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		c, err := net.DialTimeout("tcp", p.addr(), time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy still accepts after the signal (last dial: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running fails the test when the process has exited.
func running(t *testing.T, p *proc) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("mtproxy exited unexpectedly: %v", p.err)
	default:
	}
}

// On SIGTERM or SIGINT the proxy stops accepting at once, a relayed
// connection keeps working in both directions during the drain, and the
// process exits 0 as soon as it ends, well before SHUTDOWN_TIMEOUT.
func TestShutdownDrains(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT} {
		t.Run(name, func(t *testing.T) {
			r := startRig(t, fakedc.Options{}, func(env map[string]string) { env["SHUTDOWN_TIMEOUT"] = "60s" })
			c := dial(t, r.p.addr(), opts(t, client.Intermediate, secret1Hex, 2))
			reqPQ(t, c)

			r.p.signal(sig)
			waitRefused(t, r.p)
			reqPQ(t, c)
			echo(t, c, 512, true)
			download(t, c, 256<<10, 16<<10)
			upload(t, c, 256<<10, 16<<10)
			running(t, r.p)

			c.Close()
			// Far below the 60 s drain bound: the exit follows the last
			// connection, not the timeout.
			if code := r.p.wait(safety); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			if !strings.Contains(r.p.Stderr(), `"msg":"stopped"`) {
				t.Fatal("no stopped line in the log")
			}
		})
	}
}

// A connection that outlives SHUTDOWN_TIMEOUT is closed when it passes,
// and the process still exits 0.
func TestShutdownBound(t *testing.T) {
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { env["SHUTDOWN_TIMEOUT"] = "2s" })
	c := dial(t, r.p.addr(), opts(t, client.Padded, secret1Hex, 2))
	reqPQ(t, c)
	r.p.signal(syscall.SIGTERM)
	waitRefused(t, r.p)
	echo(t, c, 64, false)
	running(t, r.p)
	if code := r.p.wait(safety); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	c.SetDeadline(time.Now().Add(safety))
	if _, err := c.ReadPacket(); err == nil {
		t.Fatal("the connection is still open after the process exited")
	}
	if !strings.Contains(r.p.Stderr(), "did not drain in time") {
		t.Fatalf("no warning about the connections closed at the bound:\n%s", r.p.Stderr())
	}
	// It counts the connection that was open at the bound (it said 0,
	// counting after closing).
	if !strings.Contains(r.p.Stderr(), `"open":1`) {
		t.Fatalf("the warning does not count the one open connection:\n%s", r.p.Stderr())
	}
}
