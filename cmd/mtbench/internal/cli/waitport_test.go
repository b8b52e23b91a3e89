package cli

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
)

func TestWaitPort(t *testing.T) {
	// Reserve a port, free it, and start listening on it a little later:
	// waitport must return once the listener is up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ready := make(chan net.Listener, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Error(err)
		}
		ready <- l
	}()
	if err := waitPort(context.Background(), procfs.FS{}, uint16(port), os.Getpid(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	l := <-ready
	if l == nil {
		t.Fatal("listener failed")
	}
	defer l.Close()
	// Another pid is not this process: time out.
	err = waitPort(context.Background(), procfs.FS{}, uint16(port), os.Getpid()+1_000_000, time.Second)
	if !errors.Is(err, ErrNotListening) {
		t.Errorf("wrong pid: %v", err)
	}
	var out, errOut testWriter
	if code := Main(context.Background(), []string{"waitport", "-port", strconv.Itoa(port), "-timeout", "5s"}, &out, &errOut); code != ExitOK {
		t.Errorf("waitport exit %d: %s", code, errOut)
	}
	if code := Main(context.Background(), []string{"waitport"}, &out, &errOut); code != ExitUsage {
		t.Errorf("waitport without -port: exit %d", code)
	}
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
func (w testWriter) String() string               { return string(w) }
