package proxy

import (
	"io"
	"net"
	"testing"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// A pump reads into a bulk buffer after a read that filled a plain one and
// goes back to plain ones after a read a plain one would have held; bulk
// buffers are lent up to the pool's bound, plain ones after that; a pump
// with a limit per read never takes one.
func TestBulkBuffers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	src, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	const size, total = 1024, 10 * 1024
	pool := newBufferPool(size, 1)
	if _, err := src.Write(make([]byte, total)); err != nil {
		t.Fatal(err)
	}
	_ = src.(*net.TCPConn).CloseWrite()
	rc, _ := rawio.RawConn(dst)
	p := newPump(dst, rc, pool, 0)
	got, bulkReads, wantBulk := 0, 0, false
	for {
		b, err := p.read()
		if len(b) > 0 {
			isBulk := len(*p.buf) > headroom+size
			if isBulk != wantBulk {
				t.Fatalf("after %d bytes: a bulk buffer is %v, want %v", got, isBulk, wantBulk)
			}
			if isBulk {
				bulkReads++
				// The one bulk buffer is lent: another taker gets a plain one.
				if other := pool.getBulk(); len(*other) != headroom+size {
					t.Fatalf("a second bulk buffer lent beyond the bound of 1")
				} else {
					pool.put(other)
				}
			}
			wantBulk = len(b) >= size
			got += len(b)
		}
		p.release()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != total || bulkReads == 0 {
		t.Fatalf("read %d bytes with %d bulk reads, want %d bytes and some bulk reads", got, bulkReads, total)
	}
	if pool.inUse.Load() != 0 || pool.bulkInUse.Load() != 0 {
		t.Fatalf("buffers still counted as lent: %d (%d bulk)", pool.inUse.Load(), pool.bulkInUse.Load())
	}

	limited := newPump(dst, rc, pool, size)
	limited.bulk = true // as after a full read: the limit still wins
	limited.next(size)
	if limited.bulk {
		t.Fatal("a pump with a limit per read would take a bulk buffer")
	}
}
