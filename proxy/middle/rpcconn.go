package middle

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.uber.org/zap"
)

// ctlQueueLen bounds the control messages (RPC_PONG, RPC_CLOSE_CONN)
// waiting for a connection's keeper goroutine.
const ctlQueueLen = 256

// closeNoticeDelay is how long an RPC_CLOSE_CONN may wait in the frame
// writer's buffer for a client's query to carry it: under load almost
// every notice rides along with a query's write instead of costing one of
// its own.
const closeNoticeDelay = 2 * time.Millisecond

// ctlMsg is a control message to send: a pong or a close notification.
type ctlMsg struct {
	typ rpc.Type
	id  uint64
}

// rpcConn is one ready RPC connection to a middle proxy, shared by many
// clients. Its reader goroutine routes what arrives to clients by
// connection id without ever blocking on them; clients write their queries
// themselves under wmu; its keeper goroutine sends control messages and
// watches for silence.
type rpcConn struct {
	m       *Middle
	t       *target
	nc      net.Conn
	fr      *rpc.FrameReader
	readyAt time.Time
	log     *zap.Logger

	wmu sync.Mutex // serializes fw and writes to nc
	fw  *rpc.FrameWriter

	mu       sync.RWMutex
	clients  map[uint64]*extConn
	nclients atomic.Int32

	frames atomic.Uint64 // frames read, for the keeper's silence check
	// pingOut is the id of our RPC_PING awaiting its RPC_PONG (0: none),
	// sent at pingAt (unix nanoseconds); rtt is the latest round trip
	// measured that way (0: none yet).
	pingOut atomic.Uint64
	pingAt  atomic.Int64
	rtt     atomic.Int64
	// flushArmed: a timer will flush the close notices queued in fw.
	flushArmed atomic.Bool
	ctl        chan ctlMsg
	done       chan struct{}
	once       sync.Once
}

func newRPCConn(m *Middle, t *target, est *established, log *zap.Logger) *rpcConn {
	return &rpcConn{
		m: m, t: t, nc: est.nc, fr: est.fr, fw: est.fw, readyAt: m.o.Now(), log: log,
		clients: make(map[uint64]*extConn), ctl: make(chan ctlMsg, ctlQueueLen),
		done: make(chan struct{}),
	}
}

// start runs the reader and keeper goroutines, tracked by wg.
func (c *rpcConn) start(wg *sync.WaitGroup) {
	wg.Add(2)
	// A panic in either closes this connection (its clients with it) and
	// the pool reconnects.
	// (recovery.Guard must be deferred directly to recover.)
	closeIt := func() { c.close(CloseReadError, errPanicked) }
	go func() {
		defer wg.Done()
		defer recovery.Guard(recovery.Middle, c.log, c.m.panics, closeIt)
		c.readLoop()
	}()
	go func() {
		defer wg.Done()
		defer recovery.Guard(recovery.Middle, c.log, c.m.panics, closeIt)
		c.keeper()
	}()
}

// register binds a client to the connection; false when it is closing.
func (c *rpcConn) register(ec *extConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clients == nil {
		return false
	}
	c.clients[ec.id] = ec
	c.nclients.Add(1)
	return true
}

// unregister unbinds a client and reports whether it was bound. A retired
// target's connection closes with its last client.
func (c *rpcConn) unregister(id uint64) bool {
	c.mu.Lock()
	_, ok := c.clients[id]
	if ok {
		delete(c.clients, id)
	}
	left := c.nclients.Load()
	if ok {
		left = c.nclients.Add(-1)
	}
	c.mu.Unlock()
	if ok && left == 0 && c.t.isRetired() {
		c.closeIfIdle()
	}
	return ok
}

// closeIfIdle closes a retired target's connection if no client is bound
// to it. The check and the refusal of further clients are one step under
// mu, so a client binding at that moment (it picked the connection before
// the target was retired) is either refused by register, and picks
// another, or keeps the connection open; it is never closed.
func (c *rpcConn) closeIfIdle() {
	c.mu.Lock()
	idle := c.clients != nil && len(c.clients) == 0
	if idle {
		c.clients = nil
	}
	c.mu.Unlock()
	if idle {
		c.close(CloseRetired, nil)
	}
}

func (c *rpcConn) lookup(id uint64) *extConn {
	c.mu.RLock()
	ec := c.clients[id]
	c.mu.RUnlock()
	return ec
}

// closed reports whether the connection is closed.
func (c *rpcConn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// sendQuery forwards one client packet as an RPC_PROXY_REQ. The request
// is encoded straight into the frame writer's buffer. With flush false
// the frame is only queued, for a client that has its next packet at hand
// already: that packet's sendQuery (or any other write on the connection,
// whichever comes first) writes both in one call, and the caller must
// end a run with a flush (sendQuery with flush true, or flush).
func (c *rpcConn) sendQuery(req *rpc.ProxyReq, pkt []byte, flush bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := c.fw.Payload(rpc.ProxyReqHeaderSize(req.AdTag != nil) + len(pkt))
	b = rpc.AppendProxyReqHeader(b, req)
	b = append(b, pkt...)
	if err := c.fw.QueueFrame(b); err != nil {
		return err
	}
	c.m.cnt.framesSent.Add(1)
	if !flush {
		return nil
	}
	return c.flushLocked()
}

// flush writes whatever frames are queued.
func (c *rpcConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.fw.Buffered() == 0 {
		return nil
	}
	return c.flushLocked()
}

// flushLocked writes the queued frames within WriteTimeout; a failure
// closes the connection. wmu must be held.
func (c *rpcConn) flushLocked() error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.m.o.WriteTimeout)) // the real clock, not Options.Now
	err := c.fw.Flush()
	if err != nil {
		reason := CloseWriteError
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			reason = CloseWriteTimeout
		}
		// At once, so that the clients bound now are closed with it and
		// counted in its CloseEvent. close takes mu and the target's lock,
		// never wmu, and nothing holds those while taking wmu.
		c.close(reason, err)
	}
	return err
}

// notifyClosed tells the middle proxy a client is gone (RPC_CLOSE_CONN),
// through the keeper when it has room, else directly.
func (c *rpcConn) notifyClosed(id uint64) {
	if c.closed() {
		return
	}
	// Queued without a write of its own when the writer is free: the next
	// query's write carries it, or the timer's within closeNoticeDelay.
	if c.wmu.TryLock() {
		c.queueCtlLocked(ctlMsg{rpc.TypeCloseConn, id})
		c.wmu.Unlock()
		c.flushSoon()
		return
	}
	select {
	case c.ctl <- ctlMsg{rpc.TypeCloseConn, id}:
	default:
		// A client leaving may wait for the write; the reader never does
		// (see notifyUnknown).
		c.wmu.Lock()
		c.queueCtlLocked(ctlMsg{rpc.TypeCloseConn, id})
		_ = c.flushLocked()
		c.wmu.Unlock()
	}
}

// flushSoon makes sure what is queued in fw is written within
// closeNoticeDelay, by a query's flush or else by a timer.
func (c *rpcConn) flushSoon() {
	if c.flushArmed.CompareAndSwap(false, true) {
		time.AfterFunc(closeNoticeDelay, c.flushQueued)
	}
}

// flushQueued writes whatever is still queued in fw. It runs on the
// timer's goroutine: a panic there closes this connection, as one in its
// reader or keeper does, and leaves wmu unlocked.
func (c *rpcConn) flushQueued() {
	defer recovery.Guard(recovery.Middle, c.log, c.m.panics, func() { c.close(CloseReadError, errPanicked) })
	c.flushArmed.Store(false) // a notice queued from now on arms another timer
	if c.closed() {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.fw.Buffered() > 0 {
		_ = c.flushLocked()
	}
}

// notifyUnknown answers a message for a connection id we do not know
// with RPC_CLOSE_CONN, as the official proxy does, from the reader
// goroutine: it never blocks, since a write blocked on a middle proxy that
// is itself blocked writing to us would stall both until WriteTimeout.
// When the keeper is that far behind the notice is dropped; the middle
// proxy's next message for the id brings another chance.
func (c *rpcConn) notifyUnknown(id uint64) {
	select {
	case c.ctl <- ctlMsg{rpc.TypeCloseConn, id}:
	default:
	}
}

func (c *rpcConn) queueCtlLocked(msg ctlMsg) {
	b := c.fw.Payload(rpc.CloseConnSize)
	switch msg.typ {
	case rpc.TypeCloseConn:
		b = rpc.AppendCloseConn(b, msg.id)
	case rpc.TypePong:
		b = rpc.AppendPong(b, msg.id)
	case rpc.TypePing:
		b = rpc.AppendPing(b, msg.id)
	}
	if c.fw.QueueFrame(b) == nil {
		c.m.cnt.framesSent.Add(1)
	}
}

// close ends the connection once: the socket is closed (unblocking the
// reader), every bound client is closed, the target is told.
func (c *rpcConn) close(reason CloseReason, err error) {
	c.once.Do(func() {
		close(c.done)
		_ = c.nc.Close()
		c.mu.Lock()
		clients := c.clients
		c.clients = nil
		c.mu.Unlock()
		for _, ec := range clients {
			ec.abort(errUpstreamClosed)
		}
		c.t.connClosed(c, reason, err, len(clients))
	})
}
