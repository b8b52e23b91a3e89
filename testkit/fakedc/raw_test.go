package fakedc

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

func TestRawEchoLargeStream(t *testing.T) {
	d := Start(t, Options{Mode: Raw})
	c := dial(t, d, transports[2], 3)
	data := randBytes(t, 8<<20)
	errc := make(chan error, 1)
	go func() {
		// Writes of odd sizes, so reads on the DC side fill its small
		// buffer, switch to a large one and back.
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := min(len(rest), []int{1, 3000, 200000, 77}[i%4])
			if _, err := c.w.Write(rest[:n]); err != nil {
				errc <- err
				return
			}
			rest = rest[n:]
		}
		errc <- nil
	}()
	c.deadline(t, 20*time.Second)
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c.r, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("echoed stream differs")
	}
	// The DC counts a write once it returns, which can be after the client
	// has read the bytes: wait for the count rather than read it now.
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.BytesOut == int64(len(data)) })
	if err != nil {
		t.Fatalf("%v; recorded %+v", err, d.Conns())
	}
	if ci.BytesIn != int64(len(data)) || ci.Packets != 0 {
		t.Fatalf("recorded %+v", ci)
	}
}

func TestRawEchoShortWrites(t *testing.T) {
	d := Start(t, Options{Mode: Raw})
	// Two bytes that cannot start the magic are echoed at once.
	c := dial(t, d, transports[0], 2)
	mustWrite(t, c.w, []byte("ab"))
	expectRead(t, c, "ab")
	// "BU" might start a bulk request: the DC waits for the 4th byte, then,
	// seeing no magic, echoes everything.
	c2 := dial(t, d, transports[0], 2)
	mustWrite(t, c2.w, []byte("BU"))
	_ = c2.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c2.r.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("echoed a possible magic prefix early: %v", err)
	}
	mustWrite(t, c2.w, []byte("LX and more"))
	expectRead(t, c2, "BULX and more")
}

func mustWrite(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func expectRead(t *testing.T, c *dcClient, want string) {
	t.Helper()
	c.deadline(t, 5*time.Second)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.r, got); err != nil || string(got) != want {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
}

// TestRawEchoDoesNotAllocate checks the raw echo path allocates nothing per
// round trip: the test's own side encrypts in place on fixed buffers, so
// every allocation counted would be the DC's.
func TestRawEchoDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	d := Start(t, Options{Mode: Raw})
	nc, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	hdr, enc, dec, err := obfuscated2.Generate(rand.Reader, nil, transports[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, nc, hdr[:])
	out, in := make([]byte, 1000), make([]byte, 1000)
	roundTrip := func() {
		enc.XORKeyStream(out, out)
		if _, err := nc.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(nc, in); err != nil {
			t.Fatal(err)
		}
		dec.XORKeyStream(in, in)
	}
	for range 100 { // warm up: first reads, pool, timers
		roundTrip()
	}
	const n = 2000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		roundTrip()
	}
	runtime.ReadMemStats(&after)
	if per := float64(after.Mallocs-before.Mallocs) / n; per > 0.05 {
		t.Fatalf("%.2f allocations per round trip", per)
	}
}

func TestRawDelay(t *testing.T) {
	const delay = 100 * time.Millisecond
	d := Start(t, Options{Mode: Raw, Delay: delay})
	c := dial(t, d, transports[0], 2)
	start := time.Now()
	mustWrite(t, c.w, []byte("ping"))
	expectRead(t, c, "ping")
	if el := time.Since(start); el < delay {
		t.Fatalf("answered after %v, want at least %v", el, delay)
	}
}

func TestRawManyConnections(t *testing.T) {
	n := 8000 // two descriptors each, in one process: stay under a 20000 limit
	if raceEnabled {
		n = 1000 // the race detector allows 8128 goroutines
	}
	if testing.Short() {
		n = 200
	}
	d := Start(t, Options{Mode: Raw, ForgetClosed: true})
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	conns := make([]*dcClient, n)
	for i := range conns {
		conns[i] = dial(t, d, transports[i%3], int16(i%5+1))
	}
	if _, err := d.WaitStats(ctx(t), func(s Stats) bool { return s.HeaderOK == int64(n) }); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	t.Logf("%d idle connections (both ends in this process): %d KiB heap each",
		n, (int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/int64(n)/1024)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range conns {
		wg.Go(func() {
			msg := []byte{byte(i), byte(i >> 8), 'x', 'y', 'z'}
			if _, err := c.w.Write(msg); err != nil {
				errs <- err
				return
			}
			got := make([]byte, len(msg))
			_ = c.nc.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.ReadFull(c.r, got); err != nil || !bytes.Equal(got, msg) {
				errs <- errors.Join(err, errors.New("echo differs"))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.nc.Close()
	}
	if _, err := d.WaitStats(ctx(t), func(s Stats) bool { return s.Active == 0 }); err != nil {
		t.Fatal(err)
	}
	if len(d.Conns()) != 0 {
		t.Fatal("ForgetClosed kept records")
	}
}
