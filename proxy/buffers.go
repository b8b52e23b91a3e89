package proxy

import (
	"sync"
	"sync/atomic"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// headroom is kept in front of every relay buffer so a FakeTLS record
// header can be written in place before the payload.
const headroom = 5

// bufferPool hands out relay buffers of one size, and bulk buffers of
// BulkFactor times that size up to a bound (see Options.BulkBuffers).
// Buffers are taken only while bytes are being moved (see pump), so idle
// connections hold none and the number in use is bounded by two per busy
// connection.
//
// It also lends the state of the raw reads and writes of the engine's
// sockets (ops), which are held, like the buffers, only while bytes move.
type bufferPool struct {
	ops     rawio.Pool
	pool    sync.Pool
	bulk    sync.Pool
	size    int   // payload capacity, without headroom
	bulkMax int64 // bulk buffers lent at most at once
	inUse   atomic.Int64
	made    atomic.Int64
	// bulkInUse counts the bulk buffers lent now; inUse and made count
	// each as BulkFactor buffers.
	bulkInUse atomic.Int64
}

func newBufferPool(size, bulkMax int) *bufferPool {
	b := &bufferPool{size: size, bulkMax: int64(bulkMax)}
	b.pool.New = func() any {
		b.made.Add(1)
		s := make([]byte, headroom+size)
		return &s
	}
	b.bulk.New = func() any {
		b.made.Add(BulkFactor)
		s := make([]byte, headroom+BulkFactor*size)
		return &s
	}
	return b
}

func (b *bufferPool) get() *[]byte {
	b.inUse.Add(1)
	return b.pool.Get().(*[]byte)
}

// getBulk returns a bulk buffer, or a plain one when all the bulk buffers
// allowed are lent.
func (b *bufferPool) getBulk() *[]byte {
	if b.bulkInUse.Add(1) > b.bulkMax {
		b.bulkInUse.Add(-1)
		return b.get()
	}
	b.inUse.Add(BulkFactor)
	return b.bulk.Get().(*[]byte)
}

// put takes back a buffer of get or getBulk.
func (b *bufferPool) put(s *[]byte) {
	if len(*s) > headroom+b.size {
		b.inUse.Add(-BulkFactor)
		b.bulkInUse.Add(-1)
		b.bulk.Put(s)
		return
	}
	b.inUse.Add(-1)
	b.pool.Put(s)
}

// BufferStats describes relay buffer use.
type BufferStats struct {
	// Size is the bytes of one buffer.
	Size int
	// InUse is the number of buffers holding bytes right now, a bulk
	// buffer counting as BulkFactor buffers (InUse times Size is the
	// bytes held).
	InUse int64
	// Allocated counts buffers ever allocated (the pool may have freed
	// some), a bulk buffer as BulkFactor.
	Allocated int64
}

func (b *bufferPool) stats() BufferStats {
	return BufferStats{Size: headroom + b.size, InUse: b.inUse.Load(), Allocated: b.made.Load()}
}
