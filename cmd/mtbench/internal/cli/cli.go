package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/compare"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stubs"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the run failed, or some connections did with -strict
	ExitUsage   = 2
)

const usage = `mtbench: load generator for MTProto proxies (loopback only by default)

  mtbench [flags]                  run a load against a proxy (mtbench -h for flags)
  mtbench fakedc [-mode raw|packets] [-listen addr]
  mtbench socks5 -target addr      SOCKS5 server sending every CONNECT to addr
  mtbench middle [-tag hex] [-files dir]
                                   fake middle proxy + fake core.telegram.org
  mtbench compare [-base variant] report.json...
  mtbench freeport [-n N]          print N free loopback TCP ports
  mtbench waitport -port N [-pid P] [-timeout 10s]
                                   wait until process P (any, without -pid)
                                   listens on TCP port N
`

// Main runs mtbench with args (without the program name) and returns the
// exit code. ctx ends the run (the binary cancels it on SIGINT/SIGTERM).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "", "run":
		return runLoad(ctx, args, stdout, stderr)
	case "fakedc":
		err = runDC(ctx, args, stdout, stderr)
	case "socks5":
		err = runSocks5(ctx, args, stdout, stderr)
	case "middle":
		err = runMiddle(ctx, args, stdout, stderr)
	case "compare":
		err = runCompare(args, stdout, stderr)
	case "freeport":
		err = runFreePort(args, stdout, stderr)
	case "waitport":
		err = runWaitPort(ctx, args, stderr, procfs.FS{})
	case "help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stderr, "mtbench: unknown command %q\n\n%s", cmd, usage)
		return ExitUsage
	}
	return exitCode(err, stderr)
}

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		return ExitUsage
	}
	fmt.Fprintln(stderr, "mtbench:", err)
	return ExitFailure
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mtbench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func runDC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fakedc", stderr)
	mode := fs.String("mode", "raw", "raw (bulk transfers, echo) or packets (resPQ, packet echo)")
	listen := fs.String("listen", fakedc.DefaultListenAddr, "listen address")
	if err := parse(fs, args); err != nil {
		return err
	}
	var m fakedc.Mode
	switch *mode {
	case "raw":
		m = fakedc.Raw
	case "packets":
		m = fakedc.Packets
	default:
		fmt.Fprintf(stderr, "mtbench fakedc: -mode must be raw or packets\n")
		return errUsage
	}
	return stubs.DC(ctx, stdout, m, *listen)
}

func runSocks5(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("socks5", stderr)
	target := fs.String("target", "", "where every CONNECT goes (host:port)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *target == "" {
		fmt.Fprintln(stderr, "mtbench socks5: -target is required")
		return errUsage
	}
	return stubs.Socks5(ctx, stdout, *target)
}

func runMiddle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("middle", stderr)
	tag := fs.String("tag", "", "ad tag every request must carry (32 hex); empty: none")
	dir := fs.String("files", "", "also write proxy-secret and proxy-multi.conf into this directory (for the official mtproto-proxy)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return stubs.Middle(ctx, stdout, *tag, *dir)
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", stderr)
	base := fs.String("base", "mtg", "the variant others are divided by")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mtbench compare: no report files")
		return errUsage
	}
	rs, err := compare.Load(fs.Args())
	if err != nil {
		return err
	}
	return compare.Write(stdout, rs, *base)
}

func runFreePort(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("freeport", stderr)
	n := fs.Int("n", 1, "how many ports")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 100 {
		fmt.Fprintln(stderr, "mtbench freeport: -n must be 1..100")
		return errUsage
	}
	// Hold every listener until all are chosen, so the ports differ.
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range *n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}
