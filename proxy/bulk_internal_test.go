package proxy

import (
	"io"
	"testing"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// A pump reads into a bulk buffer after a read that filled a plain one and
// goes back to plain ones after bulkCooldown reads in a row a plain one
// would have held; bulk
// buffers are lent up to the pool's bound, plain ones after that; a pump
// with a limit per read never takes one.
func TestBulkBuffers(t *testing.T) {
	src, dst := tcpPair(t)

	const size, total = 1024, 10 * 1024
	pool := newBufferPool(size, 1)
	if _, err := src.Write(make([]byte, total)); err != nil {
		t.Fatal(err)
	}
	_ = src.CloseWrite()
	rc, _ := rawio.RawConn(dst)
	p := newPump(dst, rc, pool, 0)
	got, bulkReads, wantBulk, small := 0, 0, false, 0
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
			switch {
			case len(b) >= size:
				wantBulk, small = true, 0
			case wantBulk:
				if small++; small == bulkCooldown {
					wantBulk, small = false, 0
				}
			}
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

// Packets a little larger than a plain buffer, each arriving alone, are
// read in one call each once the pump has gone bulk: a plain buffer's
// worth and then the last bytes would be two reads (and two writes) per
// packet.
func TestBulkPacketsSlightlyLargerThanABuffer(t *testing.T) {
	src, dst := tcpPair(t)

	const size, packets = 1024, 20
	pool := newBufferPool(size, 4)
	rc, _ := rawio.RawConn(dst)
	p := newPump(dst, rc, pool, 0)
	pkt := make([]byte, size+6)
	reads := 0
	for range packets {
		if _, err := src.Write(pkt); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < len(pkt); {
			b, err := p.read()
			if err != nil {
				t.Fatal(err)
			}
			got += len(b)
			reads++
			p.release()
		}
	}
	// The first packet: a plain buffer's worth, then the rest in a bulk
	// buffer; one read each after that (a packet may still arrive in two
	// segments, rarely on loopback).
	if reads > packets+3 {
		t.Fatalf("%d reads for %d packets of a buffer and 6 bytes", reads, packets)
	}
}
