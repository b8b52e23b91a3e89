package middle

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.uber.org/zap"
)

// extConn is one client multiplexed over an RPC connection (an "external
// connection" in the official proxy's terms).
type extConn struct {
	m  *Middle
	p  *pool
	s  *proxy.Session
	id uint64
	q  *queue

	// req is the RPC_PROXY_REQ header template; Flags get the per-packet
	// bits added.
	req rpc.ProxyReq

	conn *rpcConn // bound at the first packet; set and read by the reader goroutine
	// The writer's state, kept between its runs (one at a time, see
	// queue): the packet writer, made at the first answer, and the batch.
	pw       *packetWriter
	batch    []item
	answers  atomic.Uint64
	byMiddle atomic.Bool
	once     sync.Once
	why      error // set once by abort, read after the writer ended
}

func newExtConn(m *Middle, p *pool, s *proxy.Session) *extConn {
	id := m.nextConnID()
	tag := m.o.AdTag
	if s.AdTag != nil { // the user's own tag
		t := rpc.AdTag(*s.AdTag)
		tag = &t
	}
	return &extConn{
		m: m, p: p, s: s, id: id, q: newQueue(m.o.ClientQueueBytes, &m.bufs, &m.cnt),
		req: rpc.ProxyReq{
			Flags:      rpc.RequestFlags(s.Transport, false, tag != nil, false),
			ConnID:     id,
			ClientAddr: s.Remote,
			ProxyAddr:  m.nat.publicAddrPort(s.Local),
			AdTag:      tag,
		},
	}
}

// deliverPacket queues an answer; false when the client is gone or too
// slow (then it is closed). Called by the RPC reader: it never blocks.
func (ec *extConn) deliverPacket(data []byte) bool {
	if len(data) == 0 || len(data)%4 != 0 {
		return false // nothing a client transport can frame
	}
	if ec.q.claim() {
		return ec.writeData(data)
	}
	return ec.push(answerItem(&ec.m.bufs, data))
}

// answerItem copies an answer into a pooled buffer, with room for its
// framing, to be queued.
func answerItem(bufs *bufPool, data []byte) item {
	buf := bufs.get(pktHead + len(data) + pktTail)
	copy((*buf)[pktHead:], data)
	return item{kind: itemPacket, buf: buf, n: len(data)}
}

// deliverAck queues a quick-ACK token.
func (ec *extConn) deliverAck(token uint32) bool {
	return ec.push(item{kind: itemAck, token: token})
}

func (ec *extConn) push(it item) bool {
	if !ec.m.budget.admitAnswer(it.cost(), ec.q.queued()) {
		ec.m.budget.shed.Add(1)
		ec.abort(ErrMemoryBudget)
		if it.buf != nil {
			ec.m.bufs.put(it.buf)
		}
		return false
	}
	r, start := ec.q.push(it)
	switch r {
	case pushed:
		ec.answers.Add(1)
		if start {
			ec.writeNow()
		}
		return true
	case pushFull:
		ec.m.cnt.slowClients.Add(1)
		ec.abort(ErrSlowClient)
	}
	if it.buf != nil {
		ec.m.bufs.put(it.buf)
	}
	return false
}

// closeByMiddle handles RPC_CLOSE_EXT: what is queued is written, then the
// client is closed. The middle proxy already forgot the id: no
// RPC_CLOSE_CONN is sent back.
func (ec *extConn) closeByMiddle() {
	ec.byMiddle.Store(true)
	switch r, start := ec.q.push(item{kind: itemClose}); {
	case r != pushed:
		ec.abort(errClosedByMiddle)
	case start:
		go ec.writer()
	}
}

// abort closes the client once: its queue is dropped and its socket
// closed, which ends both its reader and its writer.
func (ec *extConn) abort(why error) {
	ec.once.Do(func() {
		ec.why = why
		ec.q.close()
		_ = ec.s.Client.Close()
	})
}

// Activity moves with the client's bytes and with the answers queued for
// it (timex.Watched): a client that only receives is not idle.
func (ec *extConn) Activity() uint64 { return ec.s.Client.Activity() + ec.answers.Load() }

// Idle closes a client idle for the idle timeout (timex.Watched).
func (ec *extConn) Idle() { ec.abort(proxy.ErrIdle) }

// serve runs one client: its packets go out from this goroutine, its
// answers come back through a writer goroutine that runs only while
// answers are queued (see queue).
func (ec *extConn) serve(ctx context.Context) error {
	if !ec.s.Client.ClosesWith(ctx) {
		// Else the engine closes the client when ctx is done: the read
		// loop fails, and the cause is taken below.
		stop := context.AfterFunc(ctx, func() { ec.abort(context.Cause(ctx)) })
		defer stop()
	}
	watchdog := ec.m.dogs.Start(ec.m.o.IdleTimeout, ec)
	defer watchdog.Stop()

	rerr := ec.guardedReadLoop(ctx)
	if ctx.Err() != nil {
		rerr = context.Cause(ctx) // the read failed because ctx ended
	}
	ec.abort(rerr)
	ec.q.waitWriter()
	if ec.conn != nil && ec.conn.unregister(ec.id) && !ec.byMiddle.Load() {
		ec.conn.notifyClosed(ec.id)
	}
	switch why := ec.why; {
	case why == nil, errors.Is(why, errClosedByMiddle), errors.Is(why, context.Canceled):
		return nil
	default:
		return why
	}
}

// guardedReadLoop is readLoop with a panic turned into the client's end:
// the cleanup of serve (unbinding from its RPC connection) still runs.
func (ec *extConn) guardedReadLoop(ctx context.Context) (err error) {
	defer recovery.Guard(recovery.Conn, ec.s.Logger, ec.m.panics, func() { err = errPanicked })
	return ec.readLoop(ctx)
}

// readLoop forwards the client's packets until it ends; it returns nil at
// a clean end of stream and the abort reason when the client was closed
// from elsewhere.
func (ec *extConn) readLoop(ctx context.Context) error {
	r := framing.NewPooledReader(ec.s.Client, ec.s.Transport, rpc.MaxClientPacket, &uploadBufs{ec: ec})
	defer r.Release()
	cnt := &ec.m.cnt
	connected := false // the client's funnel reached upstream_connected
	// unflushed: a query of this client was queued on ec.conn without a
	// write, because its next packet was already buffered (see
	// sendQuery); the run ends with a flush, whichever way it ends.
	unflushed := false
	defer func() {
		if unflushed {
			_ = ec.conn.flush()
		}
	}()
	for {
		if unflushed && !r.PacketBuffered() {
			unflushed = false
			if err := ec.conn.flush(); err != nil {
				cnt.queriesDropped.Add(1)
				return errUpstreamClosed
			}
		}
		pkt, quickAck, err := r.ReadPacket()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		unencrypted, ok := classifyPacket(pkt)
		if !ok {
			cnt.queriesInvalid.Add(1)
			continue
		}
		if ec.conn == nil {
			c, chosen, err := ec.p.bind(ctx, ec.s.DC, ec)
			if err != nil {
				cnt.queriesDropped.Add(1)
				ec.s.Logger.Info("no middle proxy connection for the client's DC, closing it",
					zap.Int("dc", ec.s.DC), zap.Int("target_dc", chosen))
				return err
			}
			ec.conn = c
		}
		req := ec.req
		if quickAck {
			req.Flags |= rpc.FlagQuickAck
		}
		if unencrypted {
			req.Flags |= rpc.FlagNotEncrypted
		}
		more := r.PacketBuffered()
		if err := ec.conn.sendQuery(&req, pkt, !more); err != nil {
			cnt.queriesDropped.Add(1)
			return errUpstreamClosed
		}
		unflushed = more
		if cnt.queriesFwd.Add(1); !connected {
			connected = true
			ec.s.UpstreamConnected()
		}
	}
}

// writeNow is a run of the client's writer done by the pusher (the RPC
// reader) itself, which became the writer when its push found none: what
// the client's socket takes at once is written here, without waking a
// goroutine, and the first item it cannot take whole (a full socket, an
// item TryWrite does not take, a quick ACK, the close) goes with the rest
// to a writer goroutine. It never waits. A panic in it closes this client
// only, as one in writer does.
func (ec *extConn) writeNow() {
	defer recovery.Guard(recovery.Conn, ec.s.Logger, ec.m.panics, func() {
		ec.abort(errPanicked)
		ec.q.abandon(ec.batch)
	})
	w := ec.packetWriter()
	for {
		batch, ok := ec.q.next(ec.batch[:0])
		if !ok {
			return
		}
		ec.batch = batch
		for i, it := range batch {
			taken, err := false, error(nil)
			if it.kind == itemPacket {
				taken, err = w.tryPacket(*it.buf, it.n)
			}
			if !taken {
				ec.batch = batch[i:]
				go ec.writer()
				return
			}
			ec.q.done(it)
			batch[i] = item{}
			if err != nil {
				ec.abort(err) // closes the queue: next ends the run
				for j, rest := range batch[i+1:] {
					ec.q.done(rest)
					batch[i+1+j] = item{}
				}
				break
			}
			if w.try.Pending() {
				ec.batch = batch[i+1:]
				go ec.writer()
				return
			}
		}
	}
}

// writeData writes an answer straight from the RPC reader's frame, for a
// caller that became the writer with claim: what the socket takes at once
// costs no queued copy; what it does not take (or TryWrite declines) goes
// to a writer goroutine as writeNow's rest does.
func (ec *extConn) writeData(data []byte) (ok bool) {
	defer recovery.Guard(recovery.Conn, ec.s.Logger, ec.m.panics, func() {
		ec.abort(errPanicked)
		ec.q.abandon(nil)
		ok = false
	})
	ec.answers.Add(1)
	w := ec.packetWriter()
	taken, err := w.tryData(data)
	if !taken {
		it := answerItem(&ec.m.bufs, data)
		if r, _ := ec.q.push(it); r != pushed { // closed meanwhile
			ec.m.bufs.put(it.buf)
		}
	}
	if !taken || (err == nil && w.try.Pending()) {
		ec.batch = ec.batch[:0]
		go ec.writer()
		return true
	}
	if err != nil {
		ec.abort(err)
	}
	ec.writeNow() // ends the run: next finds the queue empty (or closed)
	return err == nil
}

// packetWriter returns the client's packet writer, made at the first
// answer.
func (ec *extConn) packetWriter() *packetWriter {
	if ec.pw == nil {
		ec.pw = newPacketWriter(ec.s.Client, ec.s.Transport)
	}
	return ec.pw
}

// writer is one run of the client's writer goroutine (see queue). A panic
// in it closes this client only: it is logged with its stack and counted,
// the items it had taken go back to the pool and out of the memory budget,
// and the queue learns that the writer ended, so serve does not wait for
// it.
func (ec *extConn) writer() {
	defer recovery.Guard(recovery.Conn, ec.s.Logger, ec.m.panics, func() {
		ec.abort(errPanicked) // closes the queue first: no push starts another writer
		ec.q.abandon(ec.batch)
	})
	ec.writeLoop()
}

// writeLoop writes queued answers to the client until the queue is empty
// or closed, starting with what writeNow left: the bytes the socket did
// not take (pending in the client's connection) and the items of its
// batch not yet written (ec.batch). Each batch of writes is bounded by
// ClientWriteTimeout.
func (ec *extConn) writeLoop() {
	w := ec.packetWriter()
	batch := ec.batch
	for {
		if len(batch) == 0 && (w.try == nil || !w.try.Pending()) {
			var ok bool
			if batch, ok = ec.q.next(ec.batch[:0]); !ok {
				return // the next writer may start now: no field is touched after
			}
		}
		ec.batch = batch
		_ = ec.s.Client.SetWriteDeadline(time.Now().Add(ec.m.o.ClientWriteTimeout))
		var err error
		if w.try != nil {
			err = w.try.Flush() // what writeNow left, if anything
		}
		closing := false
		for i, it := range batch {
			if err == nil && !closing {
				switch it.kind {
				case itemPacket:
					err = w.writePacket(*it.buf, it.n)
				case itemAck:
					err = w.writeQuickAck(it.token)
				case itemClose:
					closing = true
				}
			}
			ec.q.done(it)
			batch[i] = item{} // done: a panicked writer's abandon skips it
		}
		batch = batch[:0]
		switch {
		case closing:
			ec.abort(errClosedByMiddle)
		case err != nil:
			ec.abort(err)
		}
	}
}
