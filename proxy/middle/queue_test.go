package middle

import (
	"bytes"
	"encoding/binary"
	"sync/atomic"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

func packetItem(bp *bufPool, n int) item {
	b := bp.get(pktHead + n + pktTail)
	return item{kind: itemPacket, buf: b, n: n}
}

// The queue holds at most limit bytes counted from push until done; one
// item larger than the bound fits an empty queue; a close item always
// fits; a closed queue refuses and releases what it held.
func TestQueueBound(t *testing.T) {
	var bp bufPool
	var cnt counters
	q := newQueue(1000, &bp, &cnt)
	push := func(it item) pushResult { r, _ := q.push(it); return r }
	if r, start := q.push(packetItem(&bp, 2000)); r != pushed || !start {
		t.Fatalf("an oversized item into an empty queue: %v, start %v", r, start)
	}
	if push(item{kind: itemAck}) != pushFull {
		t.Fatal("an ack into a queue over its bound was accepted")
	}
	batch, ok := q.next(nil)
	if !ok || len(batch) != 1 || q.queued() != 2000 {
		t.Fatalf("take: %d items, ok %v, queued %d", len(batch), ok, q.queued())
	}
	// Taken but not yet written still counts.
	if push(item{kind: itemAck}) != pushFull {
		t.Fatal("bytes being written do not count against the bound")
	}
	q.done(batch[0])
	if q.queued() != 0 || cnt.queued.Load() != 0 || cnt.queuedMax.Load() != 2000 {
		t.Fatalf("after done: queued %d, counters %d/%d", q.queued(), cnt.queued.Load(), cnt.queuedMax.Load())
	}
	for i := range 2 {
		// The writer still runs (next has not yet found the queue
		// empty): no second one is started.
		if r, start := q.push(packetItem(&bp, 400)); r != pushed || start {
			t.Fatalf("400 + 400 <= 1000, push %d: %v, start %v", i, r, start)
		}
	}
	it := packetItem(&bp, 400)
	if push(it) != pushFull {
		t.Fatal("1200 > 1000 accepted")
	}
	bp.put(it.buf) // the caller keeps a refused item's buffer
	if push(item{kind: itemClose}) != pushed {
		t.Fatal("a close item was refused by a full queue")
	}
	q.close()
	if push(item{kind: itemAck}) != pushClosed {
		t.Fatal("a closed queue accepted an item")
	}
	if _, ok := q.next(nil); ok {
		t.Fatal("next on a closed queue")
	}
	q.waitWriter() // next ended the writer
	if q.queued() != 0 || cnt.queued.Load() != 0 || bp.inUse.Load() != 0 {
		t.Fatalf("after close: queued %d, counter %d, buffers in use %d", q.queued(), cnt.queued.Load(), bp.inUse.Load())
	}
}

// A writer runs only while items are queued: the push that finds none
// running starts one, next ends it on an empty queue, and the push after
// that starts the next. Every item is delivered exactly once, and
// waitWriter returns once the last writer ended.
func TestQueueWriterOnDemand(t *testing.T) {
	var bp bufPool
	var cnt counters
	q := newQueue(1<<20, &bp, &cnt)
	var delivered, started atomic.Int64
	writer := func() {
		var batch []item
		for {
			var ok bool
			if batch, ok = q.next(batch[:0]); !ok {
				return
			}
			for _, it := range batch {
				delivered.Add(1)
				q.done(it)
			}
		}
	}
	for range 1000 {
		if r, start := q.push(item{kind: itemAck}); r != pushed {
			t.Fatalf("push: %v", r)
		} else if start {
			started.Add(1)
			go writer()
		}
	}
	q.close()
	q.waitWriter()
	// Items pushed before close are either delivered or dropped by close,
	// never both: the bound's count returns to zero.
	if q.queued() != 0 || cnt.queued.Load() != 0 {
		t.Fatalf("queued %d (counter %d) after the writers ended", q.queued(), cnt.queued.Load())
	}
	if started.Load() == 0 || delivered.Load() > 1000 {
		t.Fatalf("started %d writers, delivered %d of 1000", started.Load(), delivered.Load())
	}
	// An idle queue has no writer, and the next push starts one.
	q2 := newQueue(1<<20, &bp, &cnt)
	if _, start := q2.push(item{kind: itemAck}); !start {
		t.Fatal("the first push did not start a writer")
	}
	if batch, ok := q2.next(nil); !ok || len(batch) != 1 {
		t.Fatalf("next: %d items, %v", len(batch), ok)
	} else {
		q2.done(batch[0])
	}
	if _, ok := q2.next(nil); ok {
		t.Fatal("next on an empty queue kept the writer")
	}
	q2.waitWriter()
	if _, start := q2.push(item{kind: itemAck}); !start {
		t.Fatal("a push after the writer ended did not start another")
	}
}

// Buffers come from power-of-two classes from 1 KiB to 2 MiB, are reused,
// and larger ones are allocated exactly and left to the GC.
func TestBufPoolClasses(t *testing.T) {
	for _, tc := range []struct{ n, class int }{
		{0, 0}, {1, 0}, {1024, 0}, {1025, 1}, {2048, 1}, {2049, 2}, {1 << 20, 10}, {1<<20 + 1, 11}, {2 << 20, 11}, {2<<20 + 1, -1},
	} {
		if got := class(tc.n); got != tc.class {
			t.Errorf("class(%d) = %d, want %d", tc.n, got, tc.class)
		}
	}
	var bp bufPool
	for _, n := range []int{1, 1000, 5000, 1 << 20, 3 << 20} {
		b := bp.get(n)
		if len(*b) != n {
			t.Fatalf("get(%d): len %d", n, len(*b))
		}
		if c := class(n); c >= 0 && cap(*b) != 1<<(c+minClassShift) {
			t.Fatalf("get(%d): cap %d", n, cap(*b))
		}
		bp.put(b)
	}
	if bp.inUse.Load() != 0 {
		t.Fatalf("in use %d", bp.inUse.Load())
	}
	// A foreign buffer is not pooled.
	foreign := make([]byte, 1500)
	bp.inUse.Add(1)
	bp.put(&foreign)
	if b := bp.get(1500); cap(*b) != 2048 {
		t.Fatalf("get after a foreign put: cap %d", cap(*b))
	}
}

// The packet writer frames answers in place so that each transport's
// reader gets them back, with 0..3 bytes of padding for padded
// intermediate, and quick-ACK tokens byte-swapped for abridged.
func TestPacketWriterFraming(t *testing.T) {
	var bp bufPool
	for _, tr := range []framing.Transport{framing.Abridged, framing.Intermediate, framing.Padded} {
		t.Run(tr.String(), func(t *testing.T) {
			var wire bytes.Buffer
			pw := newPacketWriter(&wire, tr)
			sizes := []int{4, 64, 0x7e * 4, 0x7f * 4, 0x80 * 4, 4096, 1 << 20}
			for i, n := range sizes {
				it := packetItem(&bp, n)
				for k := range n {
					(*it.buf)[pktHead+k] = byte(i + k)
				}
				if err := pw.writePacket(*it.buf, n); err != nil {
					t.Fatal(err)
				}
				bp.put(it.buf)
			}
			if err := pw.writeQuickAck(0x81020304); err != nil {
				t.Fatal(err)
			}
			raw := wire.Bytes()
			tail := raw[len(raw)-4:]
			wantTok := binary.LittleEndian.AppendUint32(nil, 0x81020304)
			if tr == framing.Abridged {
				wantTok = binary.BigEndian.AppendUint32(nil, 0x81020304)
			}
			if !bytes.Equal(tail, wantTok) {
				t.Errorf("token bytes %x, want %x", tail, wantTok)
			}
			rd := framing.NewResponseReader(&wire, tr, 2<<20)
			for i, n := range sizes {
				p, qa, err := rd.ReadPacket()
				if err != nil || qa || len(p) != n {
					t.Fatalf("packet %d: %d bytes, %v %v", i, len(p), qa, err)
				}
				for k := range n {
					if p[k] != byte(i+k) {
						t.Fatalf("packet %d byte %d differs", i, k)
					}
				}
			}
			p, qa, err := rd.ReadPacket()
			if err != nil || !qa || binary.LittleEndian.Uint32(p) != 0x81020304 {
				t.Fatalf("token: %x %v %v", p, qa, err)
			}
		})
	}
}
