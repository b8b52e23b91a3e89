package middle

import "sync"

// itemKind says what a queued item carries to a client.
type itemKind uint8

const (
	itemPacket itemKind = iota // an MTProto packet from RPC_PROXY_ANS
	itemAck                    // a quick-ACK token from RPC_SIMPLE_ACK
	itemClose                  // RPC_CLOSE_EXT: close once the items before are written
)

// item is one entry of a client's outbound queue.
type item struct {
	kind  itemKind
	token uint32
	// buf holds an itemPacket's payload at buf[pktHead:pktHead+n], with
	// room for the transport header before it and the padding after it.
	// Pooled, owned by the queue until written.
	buf *[]byte
	n   int
}

// cost is what an item counts against the queue's byte bound.
func (it item) cost() int {
	if it.kind == itemPacket {
		return it.n
	}
	return 4
}

// pushResult is the outcome of a push.
type pushResult uint8

const (
	pushed     pushResult = iota
	pushFull              // the byte bound would be exceeded: the client is too slow
	pushClosed            // the client is gone
)

// queue is a client's outbound queue: filled by RPC connection readers,
// which never block on it, and drained by the client's writer goroutine.
// It is bounded in bytes: an item counts from its push until the writer
// has written it. One item larger than the bound is accepted into an empty
// queue, so a big answer still reaches a client that keeps up.
type queue struct {
	mu     sync.Mutex
	items  []item
	bytes  int
	limit  int
	closed bool
	wake   chan struct{} // capacity 1: "items arrived or the queue closed"
	bufs   *bufPool
	cnt    *counters
}

func newQueue(limit int, bufs *bufPool, cnt *counters) *queue {
	return &queue{limit: limit, wake: make(chan struct{}, 1), bufs: bufs, cnt: cnt}
}

// push appends it unless the queue is closed or full. On failure the
// caller keeps ownership of it.buf.
func (q *queue) push(it item) pushResult {
	c := it.cost()
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return pushClosed
	case q.bytes > 0 && q.bytes+c > q.limit && it.kind != itemClose:
		q.mu.Unlock()
		return pushFull
	}
	q.items = append(q.items, it)
	q.bytes += c
	q.mu.Unlock()
	q.cnt.addQueued(int64(c))
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return pushed
}

// take waits for items and moves them all to dst (reused by the caller),
// or returns ok false once the queue is closed. The items' bytes still
// count against the bound until done is called for each.
func (q *queue) take(dst []item) (batch []item, ok bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return dst, false
		}
		if len(q.items) > 0 {
			dst = append(dst, q.items...)
			clear(q.items)
			q.items = q.items[:0]
			q.mu.Unlock()
			return dst, true
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// done releases an item taken and written (or abandoned) by the writer:
// its bytes leave the bound and its buffer returns to the pool.
func (q *queue) done(it item) {
	c := it.cost()
	if it.buf != nil {
		q.bufs.put(it.buf)
	}
	q.mu.Lock()
	q.bytes -= c
	q.mu.Unlock()
	q.cnt.addQueued(-int64(c))
}

// close drops whatever is queued and refuses further pushes. Items
// already taken by the writer are released by it with done.
func (q *queue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	pending := q.items
	q.items = nil
	dropped := 0
	for _, it := range pending {
		dropped += it.cost()
		if it.buf != nil {
			q.bufs.put(it.buf)
		}
	}
	q.bytes -= dropped
	q.mu.Unlock()
	q.cnt.addQueued(-int64(dropped))
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// queued returns the bytes counted against the bound now.
func (q *queue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}
