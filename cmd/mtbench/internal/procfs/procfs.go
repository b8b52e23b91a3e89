package procfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultRoot is where procfs is mounted.
const DefaultRoot = "/proc"

// ClockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat. The
// kernel fixes it at 100 for user space on every architecture Go supports
// (it is part of the ABI, whatever CONFIG_HZ is).
const ClockTicks = 100

// Errors of this package; test them with errors.Is.
var (
	// ErrFormat means a /proc file did not have the expected layout.
	ErrFormat = errors.New("procfs: unexpected file format")
	// ErrNoListener means no process listens on the port (or it belongs to
	// a process whose descriptors we cannot read).
	ErrNoListener = errors.New("procfs: no process listens on the port")
)

// Memory is a process's memory as /proc/<pid>/status reports it, in bytes.
type Memory struct {
	RSS     int64 `json:"rss"`      // VmRSS: resident set now
	HWM     int64 `json:"hwm"`      // VmHWM: peak resident set
	RSSAnon int64 `json:"rss_anon"` // RssAnon: resident anonymous memory (heap, stacks)
}

// FS reads a procfs tree.
type FS struct {
	// Root is the procfs mount point; "" means DefaultRoot.
	Root string
}

func (fs FS) path(elem ...string) string {
	root := fs.Root
	if root == "" {
		root = DefaultRoot
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// Memory reads the memory of process pid.
func (fs FS) Memory(pid int) (Memory, error) {
	b, err := os.ReadFile(fs.path(strconv.Itoa(pid), "status"))
	if err != nil {
		return Memory{}, fmt.Errorf("procfs: memory of pid %d: %w", pid, err)
	}
	m, err := ParseStatus(b)
	if err != nil {
		return Memory{}, fmt.Errorf("procfs: memory of pid %d: %w", pid, err)
	}
	return m, nil
}

// CPUTime reads the user plus system CPU time process pid has used.
func (fs FS) CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fs.path(strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("procfs: cpu time of pid %d: %w", pid, err)
	}
	ticks, err := ParseStatTicks(b)
	if err != nil {
		return 0, fmt.Errorf("procfs: cpu time of pid %d: %w", pid, err)
	}
	return time.Duration(ticks) * (time.Second / ClockTicks), nil
}

// Exists reports whether process pid is alive (its /proc entry exists).
func (fs FS) Exists(pid int) bool {
	_, err := os.Stat(fs.path(strconv.Itoa(pid)))
	return err == nil
}
