package procfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// ListenerPID returns the pid of the process holding a socket that listens
// on TCP port (IPv4 or IPv6, any address). It needs to read the other
// processes' descriptor tables, which takes the same user or root.
func (fsys FS) ListenerPID(port uint16) (int, error) {
	want := map[string]bool{}
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fsys.path("net", name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // no IPv6
		}
		if err != nil {
			return 0, fmt.Errorf("procfs: listener on port %d: %w", port, err)
		}
		inodes, err := ParseListenInodes(b, port)
		if err != nil {
			return 0, fmt.Errorf("procfs: listener on port %d: %w", port, err)
		}
		for _, ino := range inodes {
			want["socket:["+strconv.FormatUint(ino, 10)+"]"] = true
		}
	}
	if len(want) == 0 {
		return 0, fmt.Errorf("%w (port %d)", ErrNoListener, port)
	}
	procs, err := os.ReadDir(fsys.path())
	if err != nil {
		return 0, fmt.Errorf("procfs: listener on port %d: %w", port, err)
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid <= 0 {
			continue
		}
		fds, err := os.ReadDir(fsys.path(p.Name(), "fd"))
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, fd := range fds {
			link, err := os.Readlink(fsys.path(p.Name(), "fd", fd.Name()))
			if err == nil && want[link] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("%w (port %d: socket found, owner not readable)", ErrNoListener, port)
}
