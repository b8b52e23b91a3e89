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
//
// The writer runs only while there is something to write: the push that
// finds the queue without one is told to start it (push's start result),
// and the writer ends when next finds the queue empty. An idle client
// therefore has no writer goroutine at all.
type queue struct {
	mu      sync.Mutex
	items   []item
	bytes   int
	limit   int
	closed  bool
	writing bool       // a writer goroutine runs (started, not yet ended in next)
	ended   *sync.Cond // on mu: signalled when writing turns false
	bufs    *bufPool
	cnt     *counters
}

func newQueue(limit int, bufs *bufPool, cnt *counters) *queue {
	q := &queue{limit: limit, bufs: bufs, cnt: cnt}
	q.ended = sync.NewCond(&q.mu)
	return q
}

// push appends it unless the queue is closed or full. On failure the
// caller keeps ownership of it.buf. start is true when no writer runs: the
// caller must start one (it then owns the queue until next returns false).
func (q *queue) push(it item) (r pushResult, start bool) {
	c := it.cost()
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return pushClosed, false
	case q.bytes > 0 && q.bytes+c > q.limit && it.kind != itemClose:
		q.mu.Unlock()
		return pushFull, false
	}
	q.items = append(q.items, it)
	q.bytes += c
	start = !q.writing
	q.writing = true
	q.mu.Unlock()
	q.cnt.addQueued(int64(c))
	return pushed, start
}

// claim makes the caller the writer when none runs, nothing is queued and
// the queue is open: it may then write an answer of its own first (the
// RPC reader, straight from its frame), and must end its run as a writer
// does (next until it returns false) or hand it to a writer goroutine. A
// push meanwhile queues behind it without a bound check (the queue was
// empty) and does not ask for another writer.
func (q *queue) claim() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.writing || len(q.items) > 0 {
		return false
	}
	q.writing = true
	return true
}

// next moves every queued item to dst (reused by the caller) for the
// writer. When there is none, or the queue is closed, it returns ok false
// and the writer must end: the next push starts another. The items' bytes
// still count against the bound until done is called for each.
func (q *queue) next(dst []item) (batch []item, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || len(q.items) == 0 {
		q.writing = false
		q.ended.Broadcast()
		return dst, false
	}
	dst = append(dst, q.items...)
	clear(q.items)
	q.items = q.items[:0]
	return dst, true
}

// waitWriter waits until no writer runs; after close, none starts again.
func (q *queue) waitWriter() {
	q.mu.Lock()
	for q.writing {
		q.ended.Wait()
	}
	q.mu.Unlock()
}

// abandon ends a writer that cannot go on (it panicked) after the queue
// was closed: the items of its batch not yet done are released as done
// would (the writer zeroes each item it is done with), and waitWriter
// returns.
func (q *queue) abandon(batch []item) {
	for i, it := range batch {
		if it != (item{}) {
			q.done(it)
			batch[i] = item{}
		}
	}
	q.mu.Lock()
	q.writing = false
	q.ended.Broadcast()
	q.mu.Unlock()
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
// already taken by the writer are released by it with done; a running
// writer ends at its next call to next.
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
}

// queued returns the bytes counted against the bound now.
func (q *queue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}
