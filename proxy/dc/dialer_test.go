package dc

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	return a
}

func listen(t *testing.T) (netip.AddrPort, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort(), ln
}

func TestDialFallsBack(t *testing.T) {
	dead := closedAddr(t)
	live, _ := listen(t)
	var attempts []Attempt
	d := &Dialer{Timeout: 2 * time.Second}
	c, got, err := d.Dial(context.Background(), []netip.AddrPort{dead, live}, func(a Attempt) { attempts = append(attempts, a) })
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got != live {
		t.Fatalf("connected to %v, want %v", got, live)
	}
	if len(attempts) != 2 || attempts[0].Result != Refused || attempts[1].Result != OK {
		t.Fatalf("attempts = %+v", attempts)
	}
}

func TestDialAllFail(t *testing.T) {
	d := &Dialer{Timeout: time.Second}
	_, _, err := d.Dial(context.Background(), []netip.AddrPort{closedAddr(t), closedAddr(t)}, nil)
	if err == nil || Classify(err) != Refused {
		t.Fatalf("err = %v (%v)", err, Classify(err))
	}
	if _, _, err := d.Dial(context.Background(), nil, nil); !errors.Is(err, ErrNoAddress) {
		t.Fatalf("no addresses: %v", err)
	}
}

func TestDialTimeoutIsPerAttempt(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	d := &Dialer{Timeout: 50 * time.Millisecond, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-block:
			return nil, errors.New("unreachable")
		}
	}}
	var res []Result
	_, _, err := d.Dial(context.Background(), []netip.AddrPort{ap("192.0.2.1:443"), ap("192.0.2.2:443")},
		func(a Attempt) { res = append(res, a.Result) })
	if err == nil || len(res) != 2 || res[0] != Timeout || res[1] != Timeout {
		t.Fatalf("err=%v results=%v", err, res)
	}
}

func TestClassify(t *testing.T) {
	cases := map[error]Result{
		nil:                      OK,
		context.DeadlineExceeded: Timeout,
		os.ErrDeadlineExceeded:   Timeout,
		&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}: Refused,
		&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}:  Unreachable,
		errors.New("boom"): Failed,
	}
	for err, want := range cases {
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %v, want %v", err, got, want)
		}
	}
}
