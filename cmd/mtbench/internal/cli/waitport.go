package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
)

// ErrNotListening means the port was not taken by the process in time.
var ErrNotListening = errors.New("cli: the process did not listen on the port in time")

// waitPollEvery is how often waitport looks at /proc.
const waitPollEvery = 20 * time.Millisecond

// runWaitPort waits until a process (pid, or any) listens on a port. It
// reads /proc instead of connecting, so the proxy under test sees no stray
// connection before the measured run.
func runWaitPort(ctx context.Context, args []string, stderr io.Writer, proc procfs.FS) error {
	fs := newFlags("waitport", stderr)
	port := fs.Int("port", 0, "TCP port")
	pid := fs.Int("pid", 0, "the process that must listen (0: any)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *port < 1 || *port > 65535 {
		fmt.Fprintln(stderr, "mtbench waitport: -port must be 1..65535")
		return errUsage
	}
	return waitPort(ctx, proc, uint16(*port), *pid, *timeout)
}

func waitPort(ctx context.Context, proc procfs.FS, port uint16, pid int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(waitPollEvery)
	defer t.Stop()
	for {
		got, err := proc.ListenerPID(port)
		if err == nil && (pid == 0 || got == pid) {
			return nil
		}
		if pid != 0 && !proc.Exists(pid) {
			return fmt.Errorf("%w: process %d exited", ErrNotListening, pid)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (port %d)", ErrNotListening, port)
		case <-t.C:
		}
	}
}
