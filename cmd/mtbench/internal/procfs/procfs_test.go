package procfs

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeTree builds a procfs tree: pid 77 holds socket inode 238491 (listening
// on 8080 in netTCPSample), pid 12 holds unrelated descriptors.
func fakeTree(t *testing.T) FS {
	root := t.TempDir()
	mk := func(path, content string) {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(path, target string) {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("net/tcp", netTCPSample)
	mk("net/tcp6", netTCP6Sample)
	mk("77/status", statusSample)
	mk("77/stat", "77 (mtproxy) S 1 77 77 0 -1 0 0 0 0 0 250 50 0 0 20 0 7 0 100 1000 200\n")
	link("12/fd/0", "/dev/null")
	link("12/fd/3", "socket:[111]")
	link("77/fd/0", "/dev/null")
	link("77/fd/7", "socket:[238491]")
	mk("self/status", "VmRSS: 1 kB\n") // not a pid: skipped
	return FS{Root: root}
}

func TestFakeTree(t *testing.T) {
	fs := fakeTree(t)
	pid, err := fs.ListenerPID(8080)
	if err != nil || pid != 77 {
		t.Errorf("ListenerPID(8080) = %d, %v; want 77", pid, err)
	}
	pid, err = fs.ListenerPID(80)
	if err != nil || pid != 12 {
		t.Errorf("ListenerPID(80) = %d, %v; want 12", pid, err)
	}
	if _, err := fs.ListenerPID(443); !errors.Is(err, ErrNoListener) {
		t.Errorf("ListenerPID(443) err = %v, want ErrNoListener", err)
	}
	m, err := fs.Memory(77)
	if err != nil || m.RSS != 18204<<10 {
		t.Errorf("Memory(77) = %+v, %v", m, err)
	}
	cpu, err := fs.CPUTime(77)
	if err != nil || cpu != 3*time.Second {
		t.Errorf("CPUTime(77) = %v, %v; want 3s (300 ticks)", cpu, err)
	}
	if _, err := fs.Memory(78); err == nil {
		t.Error("Memory of a missing pid succeeded")
	}
	if !fs.Exists(77) || fs.Exists(78) {
		t.Error("Exists wrong")
	}
}

// The real /proc: this test process listens on a port and must be found by it.
func TestRealProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no procfs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var fs FS
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	pid, err := fs.ListenerPID(port)
	if err != nil || pid != os.Getpid() {
		t.Errorf("ListenerPID(%d) = %d, %v; want %d", port, pid, err, os.Getpid())
	}
	m, err := fs.Memory(os.Getpid())
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("Memory(self) = %+v, %v", m, err)
	}
	before, err := fs.CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the kernel's accounting moves (one tick is 10ms); the
	// bound keeps a broken reader from spinning forever.
	x := 0
	for i := 0; i < 200; i++ {
		for j := 0; j < 1e6; j++ {
			x += j ^ i
		}
		if now, _ := fs.CPUTime(os.Getpid()); now > before {
			return
		}
	}
	t.Errorf("CPU time stayed at %v after burning CPU (%d)", before, x)
}
