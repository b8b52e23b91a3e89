// Command mtbench is a load generator for MTProto proxies, and the stubs a
// benchmark needs around them (fake DC, SOCKS5 upstream, fake middle proxy).
//
//	mtbench -addr 127.0.0.1:443 -secret ee... -conns 8 -bytes 64MiB -direction down -pid 1234
//	mtbench -handshakes -conns 16 -duration 10s ...
//	mtbench -idle 10000 -rss-port 443 ...
//	mtbench fakedc | socks5 | middle | compare | freeport
//
// It prints throughput, handshakes per second, latency percentiles and the
// proxy's RSS and CPU time (from /proc), as text or -json. Targets must be
// on loopback unless -allow-remote. See scripts/bench.sh and BENCHMARKS.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
