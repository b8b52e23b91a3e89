package middle

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.uber.org/zap"
)

// readLoop routes every message from the middle proxy until the
// connection fails.
func (c *rpcConn) readLoop() {
	for {
		p, err := c.fr.ReadFrame()
		if err != nil {
			c.close(readCloseReason(err), err)
			return
		}
		c.frames.Add(1)
		c.m.cnt.framesRecv.Add(1)
		msg, err := rpc.ParseServerMessage(p)
		if err != nil {
			if errors.Is(err, rpc.ErrUnknownType) {
				c.log.Debug("ignoring unknown RPC message", zap.Error(err))
				continue
			}
			c.close(CloseProtocolError, err)
			return
		}
		c.route(&msg)
	}
}

// route delivers one message. It never blocks on a client.
func (c *rpcConn) route(msg *rpc.ServerMessage) {
	cnt := &c.m.cnt
	switch msg.Type {
	case rpc.TypeProxyAns:
		ec := c.lookup(msg.ConnID)
		if ec == nil {
			cnt.respDropped.Add(1)
			c.notifyUnknown(msg.ConnID)
			return
		}
		if ec.deliverPacket(msg.Data) {
			cnt.respFwd.Add(1)
		} else {
			cnt.respDropped.Add(1)
		}
	case rpc.TypeSimpleAck:
		ec := c.lookup(msg.ConnID)
		if ec == nil {
			cnt.acksDropped.Add(1)
			c.notifyUnknown(msg.ConnID)
			return
		}
		if ec.deliverAck(msg.Confirm) {
			cnt.acksFwd.Add(1)
		} else {
			cnt.acksDropped.Add(1)
		}
	case rpc.TypeCloseExt:
		if ec := c.lookup(msg.ConnID); ec != nil && c.unregister(msg.ConnID) {
			cnt.closedByMiddle.Add(1)
			ec.closeByMiddle()
		}
	case rpc.TypePing:
		select {
		case c.ctl <- ctlMsg{rpc.TypePong, msg.PingID}:
		default: // the keeper is far behind; the middle proxy will ping again
		}
	case rpc.TypePong:
		// Reading it moved c.frames; the answer to our ping times the
		// connection's round trip.
		if id := msg.PingID; id != 0 && c.pingOut.CompareAndSwap(id, 0) {
			c.rtt.Store(max(time.Now().UnixNano()-c.pingAt.Load(), 1))
		}
	}
}

// readCloseReason classifies the error that ended a connection's reads.
func readCloseReason(err error) CloseReason {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClosePeer
	case errors.Is(err, rpc.ErrChecksum), errors.Is(err, rpc.ErrFrameLength),
		errors.Is(err, rpc.ErrFrameTooLarge), errors.Is(err, rpc.ErrSeqMismatch):
		return CloseProtocolError
	case errors.Is(err, syscall.ECONNRESET):
		return ClosePeer
	case errors.As(err, &ne) && ne.Timeout():
		return ClosePingTimeout
	}
	return CloseReadError
}

// keeper sends control messages in batches, sends an RPC_PING every
// PingInterval (its RPC_PONG times the round trip, see RTT; after silence
// it is also what keeps the connection alive), and closes the connection
// when the middle proxy falls silent for PingTimeout.
func (c *rpcConn) keeper() {
	o := &c.m.o
	tick := time.NewTicker(max(o.PingInterval/2, 10*time.Millisecond))
	defer tick.Stop()
	last, lastChange := c.frames.Load(), time.Now()
	var pingID uint64
	var lastPing time.Time
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.ctl:
			c.wmu.Lock()
			c.queueCtlLocked(msg)
			for more := true; more; {
				select {
				case msg = <-c.ctl:
					c.queueCtlLocked(msg)
				default:
					more = false
				}
			}
			err := c.flushLocked()
			c.wmu.Unlock()
			if err != nil {
				return
			}
		case now := <-tick.C:
			if f := c.frames.Load(); f != last {
				last, lastChange = f, now
			}
			if now.Sub(lastChange) >= o.PingTimeout {
				c.close(ClosePingTimeout, errSilent)
				return
			}
			if now.Sub(lastPing) < o.PingInterval {
				continue
			}
			pingID++
			lastPing = now
			c.pingAt.Store(time.Now().UnixNano())
			c.pingOut.Store(pingID) // a pong lost before this one no longer counts
			c.wmu.Lock()
			c.queueCtlLocked(ctlMsg{rpc.TypePing, pingID})
			err := c.flushLocked()
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}
