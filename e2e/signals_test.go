package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

// startHeld starts the middle-mode binary with core.telegram.org holding
// every request, and waits until start-up is stuck on the download of
// Telegram's files.
func startHeld(t *testing.T) (*middleRig, *proc, func()) {
	r := newMiddleRig(t)
	r.env["CONFIG_REFRESH_INTERVAL"] = "1h"
	release := r.core.Hold()
	t.Cleanup(release)
	p := start(t, r.env)
	eventually(t, "start-up blocked on getProxySecret", func() bool {
		running(t, p)
		return r.core.Requests(fakecore.PathSecret) > 0
	})
	return r, p, release
}

// A SIGHUP while start-up waits for Telegram's files is not fatal (the
// Go runtime's default would kill the process with status 129): it is
// remembered, and the files are downloaded again once the proxy runs.
func TestSIGHUPDuringStartup(t *testing.T) {
	r, p, release := startHeld(t)
	p.signal(syscall.SIGHUP)
	eventually(t, "the SIGHUP noted in the log", func() bool {
		running(t, p)
		return strings.Contains(p.Stderr(), "SIGHUP during start-up")
	})
	release()
	p.waitReady()
	reqPQ(t, r.dial(p, client.Intermediate))
	eventually(t, "the remembered refresh", func() bool { return r.core.Requests(fakecore.PathSecret) >= 2 })
}

// A SIGTERM while start-up waits stops the process at once and cleanly,
// without waiting for the download.
func TestSIGTERMDuringStartup(t *testing.T) {
	_, p, _ := startHeld(t)
	p.signal(syscall.SIGTERM)
	if code := p.wait(safety); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.Stderr())
	}
	if !strings.Contains(p.Stderr(), "stopped before start-up finished") {
		t.Fatalf("no line about the interrupted start-up:\n%s", p.Stderr())
	}
	if strings.Contains(p.Stdout(), "Final configuration") {
		t.Fatal("links printed by a proxy that was stopped while starting")
	}
}
