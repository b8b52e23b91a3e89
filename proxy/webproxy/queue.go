package webproxy

import "sync"

// chunkSize is the size of the blocks stream queues are made of.
const chunkSize = 16 << 10

type chunk struct {
	b    [chunkSize]byte
	r, w int
}

// chunkPool recycles queue blocks, so a steady stream allocates nothing
// and an idle one holds no block.
type chunkPool struct{ p sync.Pool }

func newChunkPool() *chunkPool {
	c := &chunkPool{}
	c.p.New = func() any { return new(chunk) }
	return c
}

func (c *chunkPool) get() *chunk {
	k := c.p.Get().(*chunk)
	k.r, k.w = 0, 0
	return k
}

func (c *chunkPool) put(k *chunk) { c.p.Put(k) }

// byteQueue is a FIFO of bytes in pooled blocks. It is not safe for
// concurrent use: its stream's session lock guards it.
type byteQueue struct {
	chunks []*chunk
	n      int
}

func (q *byteQueue) len() int { return q.n }

// write appends p.
func (q *byteQueue) write(pool *chunkPool, p []byte) {
	q.n += len(p)
	for len(p) > 0 {
		if len(q.chunks) == 0 || q.chunks[len(q.chunks)-1].w == chunkSize {
			q.chunks = append(q.chunks, pool.get())
		}
		k := q.chunks[len(q.chunks)-1]
		n := copy(k.b[k.w:], p)
		k.w += n
		p = p[n:]
	}
}

// read moves up to len(p) bytes into p.
func (q *byteQueue) read(pool *chunkPool, p []byte) int {
	got := 0
	for got < len(p) && len(q.chunks) > 0 {
		k := q.chunks[0]
		n := copy(p[got:], k.b[k.r:k.w])
		k.r += n
		got += n
		if k.r == k.w {
			pool.put(k)
			// Shift down rather than reslice, so the backing array is
			// reused and a busy queue allocates nothing.
			last := copy(q.chunks, q.chunks[1:])
			q.chunks[last] = nil
			q.chunks = q.chunks[:last]
		}
	}
	q.n -= got
	return got
}

// reset drops every byte and returns how many there were.
func (q *byteQueue) reset(pool *chunkPool) int {
	n := q.n
	for _, k := range q.chunks {
		pool.put(k)
	}
	q.chunks, q.n = nil, 0
	return n
}
