package proxy

import (
	"sync"
	"sync/atomic"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// headroom is kept in front of every relay buffer so a FakeTLS record
// header can be written in place before the payload.
const headroom = 5

// bufferPool hands out relay buffers of one size. Buffers are taken only
// while bytes are being moved (see pump), so idle connections hold none and
// the number in use is bounded by two per busy connection.
//
// It also lends the state of the raw reads and writes of the engine's
// sockets (ops), which are held, like the buffers, only while bytes move.
type bufferPool struct {
	ops   rawio.Pool
	pool  sync.Pool
	size  int // payload capacity, without headroom
	inUse atomic.Int64
	made  atomic.Int64
}

func newBufferPool(size int) *bufferPool {
	b := &bufferPool{size: size}
	b.pool.New = func() any {
		b.made.Add(1)
		s := make([]byte, headroom+size)
		return &s
	}
	return b
}

func (b *bufferPool) get() *[]byte {
	b.inUse.Add(1)
	return b.pool.Get().(*[]byte)
}

func (b *bufferPool) put(s *[]byte) {
	b.inUse.Add(-1)
	b.pool.Put(s)
}

// BufferStats describes relay buffer use.
type BufferStats struct {
	// Size is the bytes of one buffer.
	Size int
	// InUse is the number of buffers holding bytes right now.
	InUse int64
	// Allocated counts buffers ever allocated (the pool may have freed some).
	Allocated int64
}

func (b *bufferPool) stats() BufferStats {
	return BufferStats{Size: headroom + b.size, InUse: b.inUse.Load(), Allocated: b.made.Load()}
}
