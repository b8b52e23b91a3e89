package middle

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Packet buffer size classes: powers of two from 1 KiB to 2 MiB, the
// largest RPC frame accepted (rpc.DefaultMaxFrameSize), so any answer fits
// a class and a buffer wastes at most half its size.
const (
	minClassShift = 10
	maxClassShift = 21
	numClasses    = maxClassShift - minClassShift + 1
)

// bufPool hands out packet buffers by size class. Answers from middle
// proxies are copied into one of them on their way to a client's queue and
// returned once written, so the steady state allocates nothing.
type bufPool struct {
	classes [numClasses]sync.Pool
	inUse   atomic.Int64
}

// class returns the size class index for n bytes, or -1 when n exceeds the
// largest class.
func class(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	s := bits.Len(uint(n - 1)) // smallest s with 1<<s >= n
	if s > maxClassShift {
		return -1
	}
	return s - minClassShift
}

// get returns a buffer of length n. Its capacity is its class size.
func (p *bufPool) get(n int) *[]byte {
	p.inUse.Add(1)
	c := class(n)
	if c < 0 {
		b := make([]byte, n)
		return &b
	}
	if v := p.classes[c].Get(); v != nil {
		b := v.(*[]byte)
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<(c+minClassShift))
	return &b
}

// put returns a buffer obtained from get.
func (p *bufPool) put(b *[]byte) {
	p.inUse.Add(-1)
	c := class(cap(*b))
	if c < 0 || cap(*b) != 1<<(c+minClassShift) {
		return // oversized or foreign: let the GC have it
	}
	p.classes[c].Put(b)
}
