package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/load"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// loadFlags are the flags of a load run.
type loadFlags struct {
	cfg        load.Config
	secret     string
	secrets    string
	mode       string
	domain     string
	dc         int
	direction  string
	probe      string
	handshakes bool
	echo       bool
	idle       int
	rssPort    int
	chunk      int64
	jsonOut    bool
	strict     bool
}

func (f *loadFlags) register(fs *flag.FlagSet) {
	c := &f.cfg
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:443", "proxy address (loopback unless -allow-remote)")
	fs.StringVar(&f.secret, "secret", "", "client secret: 32 hex, dd+32 hex or ee+32 hex+hex(domain)")
	fs.StringVar(&f.secrets, "secrets-file", "", "instead of -secret, for -handshakes: a file of secrets, one per line, all of one kind; each handshake takes the next (a proxy's many users, each the least recently used)")
	fs.StringVar(&f.mode, "mode", "auto", "abridged, intermediate, padded or faketls; auto: faketls for ee secrets, padded for dd, else intermediate")
	fs.StringVar(&f.domain, "domain", "", "FakeTLS SNI (default: the ee secret's domain)")
	fs.IntVar(&f.dc, "dc", load.DefaultDC, "DC to ask for")
	fs.StringVar(&c.Label, "label", "", "label copied into the report (compare wants scenario/variant)")

	fs.IntVar(&c.Conns, "conns", 8, "connections (transfer, echo), parallel workers (-handshakes)")
	fs.Var(sizeFlag{&c.Bytes}, "bytes", "payload per connection each way (64MiB, 1G, ...)")
	fs.StringVar(&f.direction, "direction", "up", "transfer direction: up, down or both")
	f.chunk = load.DefaultChunk
	fs.Var(sizeFlag{&f.chunk}, "chunk", "transfer write/read size")
	fs.BoolVar(&f.echo, "echo", false, "packet echo workload (Packets DC or middle mode) instead of raw transfers")
	fs.IntVar(&c.Packet, "packet", load.DefaultPacket, "echo packet size (multiple of 4)")
	fs.IntVar(&c.Window, "window", load.DefaultWindow, "echo packets in flight per connection")
	fs.BoolVar(&c.Verify, "verify", true, "check every byte received against the pattern")
	fs.BoolVar(&f.handshakes, "handshakes", false, "handshake-only mode: -conns workers loop connect+handshake+probe")
	fs.IntVar(&c.Count, "count", 0, "stop -handshakes after this many (0: run for -duration)")
	fs.IntVar(&f.idle, "idle", 0, "hold N idle connections and report the proxy's RSS per connection")
	fs.DurationVar(&c.Hold, "hold", load.DefaultHold, "how long -idle holds its connections before reading RSS")
	fs.IntVar(&c.DialParallel, "parallel", load.DefaultDialParallel, "concurrent handshakes while -idle opens connections")
	fs.StringVar(&f.probe, "probe", "reqpq", "per-connection check of the path to the DC: reqpq (Packets DC, middle), echo (Raw DC) or none")

	fs.DurationVar(&c.Ramp, "ramp", 0, "spread connection starts over this long")
	fs.DurationVar(&c.Duration, "duration", load.DefaultDuration, "bound of the run (the length of -handshakes)")
	fs.DurationVar(&c.Timeout, "timeout", load.DefaultTimeout, "bound of each connect+handshake+probe")

	fs.IntVar(&c.PID, "pid", 0, "proxy process to report RSS and CPU of")
	fs.IntVar(&f.rssPort, "rss-port", 0, "find the proxy process by the TCP port it listens on (instead of -pid)")
	fs.DurationVar(&c.SampleEvery, "sample", load.DefaultSampleEvery, "RSS sampling period for the peak")
	fs.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&f.strict, "strict", false, "exit 1 when any connection failed")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a target that is not on loopback")
}

// config turns the flags into a load.Config.
func (f *loadFlags) config(proc procfs.FS) (load.Config, error) {
	c := f.cfg
	var err error
	if c.Secret, c.Secrets, err = f.readSecrets(); err != nil {
		return c, err
	}
	if f.domain != "" {
		c.Secret.Domain = f.domain
		for i := range c.Secrets {
			c.Secrets[i].Domain = f.domain
		}
	}
	if c.Mode, err = modeFor(f.mode, c.Secret.Kind); err != nil {
		return c, err
	}
	if f.dc < -32768 || f.dc > 32767 || f.dc == 0 {
		return c, fmt.Errorf("%w: -dc %d", load.ErrConfig, f.dc)
	}
	c.DC = int16(f.dc)
	if f.chunk > 1<<30 {
		return c, fmt.Errorf("%w: -chunk too large", load.ErrConfig)
	}
	c.Chunk = int(f.chunk)
	if c.Probe, err = load.ParseProbe(f.probe); err != nil {
		return c, err
	}
	switch {
	case countTrue(f.handshakes, f.echo, f.idle > 0) > 1:
		return c, fmt.Errorf("%w: -handshakes, -echo and -idle exclude each other", load.ErrConfig)
	case f.handshakes:
		c.Workload = load.Handshakes
	case f.idle > 0:
		c.Workload, c.Conns = load.Idle, f.idle
	case f.echo:
		c.Workload = load.Echo
	default:
		c.Workload = load.Transfer
		if c.Direction, err = load.ParseDirection(f.direction); err != nil {
			return c, err
		}
	}
	if f.rssPort != 0 {
		if c.PID != 0 {
			return c, fmt.Errorf("%w: -pid and -rss-port exclude each other", load.ErrConfig)
		}
		if f.rssPort < 1 || f.rssPort > 65535 {
			return c, fmt.Errorf("%w: -rss-port %d", load.ErrConfig, f.rssPort)
		}
		if c.PID, err = proc.ListenerPID(uint16(f.rssPort)); err != nil {
			return c, err
		}
	}
	c.Proc = proc
	return c, nil
}

// readSecrets reads -secret, or the list of -secrets-file (whose first
// secret also sets the mode).
func (f *loadFlags) readSecrets() (secret.Secret, []secret.Secret, error) {
	switch {
	case f.secrets == "":
		s, err := secret.Parse(f.secret)
		return s, nil, err
	case f.secret != "":
		return secret.Secret{}, nil, fmt.Errorf("%w: -secret and -secrets-file exclude each other", load.ErrConfig)
	}
	file, err := os.Open(f.secrets)
	if err != nil {
		return secret.Secret{}, nil, err
	}
	defer file.Close()
	list, err := secret.ParseList(file)
	if err != nil {
		return secret.Secret{}, nil, fmt.Errorf("-secrets-file %s: %w", f.secrets, err)
	}
	return list[0], list, nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// modeFor resolves -mode, "auto" picking the secret kind's natural mode.
func modeFor(mode string, kind secret.Kind) (client.Mode, error) {
	if mode != "auto" {
		return load.ParseMode(mode)
	}
	switch kind {
	case secret.FakeTLS:
		return client.FakeTLS, nil
	case secret.Padded:
		return client.Padded, nil
	}
	return client.Intermediate, nil
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nLoad flags:\n")
		fs.PrintDefaults()
	}
	var f loadFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return exitCode(err, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mtbench: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	cfg, err := f.config(procfs.FS{})
	if err != nil {
		return exitCode(err, stderr)
	}
	r, err := load.Run(ctx, cfg)
	if err != nil {
		return exitCode(err, stderr)
	}
	if f.jsonOut {
		err = report.WriteJSON(stdout, r)
	} else {
		err = report.WriteText(stdout, r)
	}
	if err != nil {
		return exitCode(err, stderr)
	}
	if f.strict && r.Failed > 0 {
		return ExitFailure
	}
	return ExitOK
}
