package proxy

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a.(*net.TCPConn), r.c.(*net.TCPConn)
}

// cryptoRW is one peer's end: it encrypts what it writes and decrypts what it reads.
// One goroutine may write while another reads.
type cryptoRW struct {
	conn     io.ReadWriter
	raw      net.Conn
	enc, dec cipher.Stream
	wbuf     []byte
}

func (c *cryptoRW) Write(p []byte) (int, error) {
	if c.enc == nil {
		return c.conn.Write(p)
	}
	if cap(c.wbuf) < len(p) {
		c.wbuf = make([]byte, len(p))
	}
	b := c.wbuf[:len(p)]
	c.enc.XORKeyStream(b, p)
	return c.conn.Write(b)
}

func (c *cryptoRW) Read(p []byte) (int, error) {
	n, err := c.conn.Read(p)
	if c.dec != nil {
		c.dec.XORKeyStream(p[:n], p[:n])
	}
	return n, err
}

// relayRig is a client and a DC around a relay under test.
type relayRig struct {
	client, dc *cryptoRW
	cc         *ClientConn // the proxy's side of the client
	r          *relay
	pool       *bufferPool
	cancel     context.CancelFunc // cancels the relay's context
	done       chan error
}

func newRelayRig(t testing.TB, useTLS bool, idle time.Duration, pool *bufferPool) *relayRig {
	t.Helper()
	return newRelayRigCiphers(t, useTLS, idle, pool, true)
}

// newRelayRigCiphers is newRelayRig with the upstream side in plaintext
// (nil cipher streams given to RelayTo) unless dcCiphers is set.
func newRelayRigCiphers(t testing.TB, useTLS bool, idle time.Duration, pool *bufferPool, dcCiphers bool) *relayRig {
	t.Helper()
	secret := [16]byte{1, 2, 3}
	clientSock, proxyClientSock := tcpPair(t)
	proxyDCSock, dcSock := tcpPair(t)

	// Client side: an obfuscated2 header with the secret, accepted by the "proxy".
	hdr, cEnc, cDec, err := obfuscated2.Generate(rand.Reader, &secret, framing.Padded, 2)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := obfuscated2.Accept(&hdr, [][16]byte{secret})
	if err != nil {
		t.Fatal(err)
	}
	// DC side: a header without secret, accepted by the fake DC.
	dhdr, dEnc, dDec, err := obfuscated2.Generate(rand.Reader, nil, framing.Padded, 2)
	if err != nil {
		t.Fatal(err)
	}
	dacc, err := obfuscated2.AcceptDC(&dhdr)
	if err != nil {
		t.Fatal(err)
	}
	chunk := pool.size
	var clientIO io.ReadWriter = clientSock
	if useTLS {
		chunk = min(chunk, faketls.MaxRecordPayload)
		clientIO = faketls.NewConn(clientSock)
	}
	cc := &ClientConn{conn: proxyClientSock, tls: useTLS, dec: acc.Decrypt, enc: acc.Encrypt,
		traffic: new(Traffic), bufs: pool, chunk: chunk}
	dcSide := &cryptoRW{conn: dcSock, raw: dcSock, enc: dacc.Encrypt, dec: dacc.Decrypt}
	if !dcCiphers {
		dEnc, dDec = nil, nil
		dcSide.enc, dcSide.dec = nil, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rig := &relayRig{
		client: &cryptoRW{conn: clientIO, raw: clientSock, enc: cEnc, dec: cDec},
		dc:     dcSide,
		cc:     cc,
		r:      cc.newRelay(proxyDCSock, dEnc, dDec, idle),
		pool:   pool,
		cancel: cancel,
		done:   make(chan error, 1),
	}
	go func() { rig.done <- rig.r.run(ctx) }()
	return rig
}

func (r *relayRig) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("relay did not end")
		return nil
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRelayBothWays(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "obfuscated2", true: "faketls"}[useTLS], func(t *testing.T) {
			rig := newRelayRig(t, useTLS, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
			up, down := randBytes(3<<20+17), randBytes(2<<20+5)
			var wg sync.WaitGroup
			var gotUp, gotDown []byte
			var errSend, errUp, errDown error
			wg.Add(4)
			go func() { defer wg.Done(); _, errSend = rig.client.Write(up); rig.client.raw.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); gotUp, errUp = io.ReadAll(rig.dc) }()
			go func() { defer wg.Done(); rig.dc.Write(down); rig.dc.raw.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); gotDown, errDown = io.ReadAll(rig.client) }()
			wg.Wait()
			if errSend != nil || errUp != nil || errDown != nil {
				t.Fatal(errSend, errUp, errDown)
			}
			if !bytes.Equal(gotUp, up) || !bytes.Equal(gotDown, down) {
				t.Fatalf("data corrupted: up %d/%d down %d/%d", len(gotUp), len(up), len(gotDown), len(down))
			}
			if err := rig.wait(t); err != nil {
				t.Fatalf("relay ended with %v", err)
			}
			in, out := rig.cc.Bytes()
			if in < int64(len(up)) || out < int64(len(down)) {
				t.Fatalf("accounted in=%d out=%d, moved %d/%d", in, out, len(up), len(down))
			}
			if got := rig.pool.inUse.Load(); got != 0 {
				t.Fatalf("%d buffers still in use after the relay", got)
			}
		})
	}
}

func TestRelayHalfClose(t *testing.T) {
	rig := newRelayRig(t, false, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
	// The client sends a request and half-closes; the DC must still be able to answer.
	rig.client.Write([]byte("request"))
	rig.client.raw.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(rig.dc)
	if err != nil || string(got) != "request" {
		t.Fatalf("DC got %q, %v", got, err)
	}
	rig.dc.Write([]byte("answer after the client's half-close"))
	rig.dc.raw.Close()
	ans, err := io.ReadAll(rig.client)
	if err != nil || string(ans) != "answer after the client's half-close" {
		t.Fatalf("client got %q, %v", ans, err)
	}
	if err := rig.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestRelayIdleTimeout(t *testing.T) {
	rig := newRelayRig(t, false, 50*time.Millisecond, newBufferPool(16<<10, DefaultBulkBuffers))
	rig.client.Write([]byte("x"))
	if _, err := io.ReadFull(rig.dc, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// Then silence ends it, closing both sides.
	if err := rig.wait(t); !errors.Is(err, ErrIdle) {
		t.Fatalf("relay ended with %v, want idle timeout", err)
	}
	if _, err := io.ReadAll(rig.client); err != nil && !isReset(err) {
		t.Fatalf("client read after the idle end: %v", err)
	}
}

// The idle watchdog sees traffic either way: bytes moving in one
// direction only keep the relay alive. (When it fires on a counter that
// stood still is timex's test.)
func TestRelayActivity(t *testing.T) {
	rig := newRelayRig(t, false, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
	before := rig.r.Activity()
	rig.client.Write([]byte("up"))
	if _, err := io.ReadFull(rig.dc, make([]byte, 2)); err != nil {
		t.Fatal(err)
	}
	// The relay counted the client's read before it wrote to the DC.
	up := rig.r.Activity()
	if up == before {
		t.Fatal("client-to-DC traffic left the activity counter unchanged")
	}
	rig.dc.Write([]byte("down"))
	if _, err := io.ReadFull(rig.client, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	if rig.r.Activity() == up {
		t.Fatal("DC-to-client traffic left the activity counter unchanged")
	}
}

// Nil cipher streams relay the client's plaintext to the upstream as is.
func TestRelayPlaintextUpstream(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "obfuscated2", true: "faketls"}[useTLS], func(t *testing.T) {
			rig := newRelayRigCiphers(t, useTLS, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers), false)
			rig.client.Write([]byte("plaintext up"))
			got := make([]byte, len("plaintext up"))
			if _, err := io.ReadFull(rig.dc.raw, got); err != nil || string(got) != "plaintext up" {
				t.Fatalf("upstream read %q, %v", got, err)
			}
			rig.dc.raw.Write([]byte("plaintext down"))
			got = make([]byte, len("plaintext down"))
			if _, err := io.ReadFull(rig.client, got); err != nil || string(got) != "plaintext down" {
				t.Fatalf("client read %q, %v", got, err)
			}
			rig.client.raw.(*net.TCPConn).CloseWrite()
			rig.dc.raw.(*net.TCPConn).CloseWrite()
			if err := rig.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A done context ends a busy relay at once and closes both sides.
func TestRelayContextDone(t *testing.T) {
	rig := newRelayRig(t, false, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
	rig.client.Write([]byte("x"))
	if _, err := io.ReadFull(rig.dc, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	rig.cancel()
	if err := rig.wait(t); err != nil {
		t.Fatalf("relay ended with %v, want nil", err)
	}
	if _, err := io.ReadAll(rig.client); err != nil && !isReset(err) {
		t.Fatalf("client read after cancel: %v", err)
	}
	if _, err := io.ReadAll(rig.dc); err != nil && !isReset(err) {
		t.Fatalf("upstream read after cancel: %v", err)
	}
}

func TestRelayErrorClosesBoth(t *testing.T) {
	rig := newRelayRig(t, false, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
	rig.dc.raw.(*net.TCPConn).SetLinger(0)
	rig.dc.raw.Close() // a reset from the DC
	rig.wait(t)
	if _, err := io.ReadAll(rig.client); err != nil && !isReset(err) {
		t.Fatalf("client read: %v", err)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// A fast DC and a client that does not read: the proxy must hold at most a
// buffer per direction (a bulk one, since bytes queue), not the DC's whole
// burst.
func TestRelayBackpressure(t *testing.T) {
	rig := newRelayRig(t, false, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
	const burst = 64 << 20
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	sent := make(chan error, 1)
	go func() {
		chunk := make([]byte, 256<<10)
		var err error
		for n := 0; n < burst && err == nil; n += len(chunk) {
			_, err = rig.dc.Write(chunk)
		}
		sent <- err
	}()
	// Let the DC fill every socket buffer on the way while the client sleeps.
	deadline := time.Now().Add(10 * time.Second)
	var stalled int
	for last := int64(-1); time.Now().Before(deadline) && stalled < 5; time.Sleep(100 * time.Millisecond) {
		out := int64(rig.cc.traffic.ToClient.Load())
		if out == last {
			stalled++
		} else {
			stalled, last = 0, out
		}
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	// One buffer per direction at most: a bulk one (BulkFactor plain
	// ones) while bytes queue.
	if inUse, bulk := rig.pool.inUse.Load(), rig.pool.bulkInUse.Load(); inUse > 2*BulkFactor || bulk > 2 {
		t.Fatalf("%d relay buffers' worth (%d bulk) held for one connection", inUse, bulk)
	}
	if grew := int64(during.HeapInuse) - int64(before.HeapInuse); grew > 8<<20 {
		t.Fatalf("heap grew by %d bytes while the client was not reading", grew)
	}
	// Now the client reads everything and nothing was lost.
	got := 0
	buf := make([]byte, 1<<20)
	for got < burst {
		n, err := rig.client.Read(buf)
		got += n
		if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

// Idle relayed connections hold no relay buffer at all.
func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	const n = 100
	pool := newBufferPool(16<<10, DefaultBulkBuffers)
	rigs := make([]*relayRig, n)
	for i := range rigs {
		rigs[i] = newRelayRig(t, i%2 == 0, time.Minute, pool)
	}
	for _, rig := range rigs {
		rig.client.Write([]byte("ping"))
		b := make([]byte, 4)
		if _, err := io.ReadFull(rig.dc, b); err != nil {
			t.Fatal(err)
		}
	}
	// The DC can read "ping" a moment before the pump that wrote it returns
	// its buffer, so wait for the pumps to settle before judging.
	deadline := time.Now().Add(5 * time.Second)
	for pool.inUse.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := pool.inUse.Load(); got != 0 {
		t.Fatalf("%d buffers held by %d idle connections", got, n)
	}
}
