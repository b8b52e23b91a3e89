package webproxy

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// downState is the https mode's downlink: the batch sent for cursor
// acked+1, kept byte for byte until the next poll acknowledges it, and the
// generation of the newest poll (which wins over older parked ones).
type downState struct {
	acked   uint64
	pending *batch
	polls   uint64
}

// batch is a built downlink body and the DATA bytes (budget) it holds.
// refs counts the responses writing it; it is recycled when acknowledged
// and no response still writes it. Guarded by the session's lock.
type batch struct {
	buf     *[]byte
	payload int64
	refs    int
	acked   bool
}

// drop forgets the pending batch; called with the session's lock held.
func (d *downState) drop(c *Carrier) {
	if d.pending != nil {
		d.pending.acked = true
		d.pending.release(c)
		d.pending = nil
	}
}

func (b *batch) release(c *Carrier) {
	if b.acked && b.refs == 0 && b.buf != nil {
		c.putBuf(b.buf)
		b.buf = nil
	}
}

// serveUp applies one up body: the next sequence number, or a
// byte-identical resend of the last one (acknowledged, not applied).
func (c *Carrier) serveUp(w http.ResponseWriter, r *http.Request, s *session) {
	if !apiRules(r, true) {
		local(w, http.StatusNotFound)
		return
	}
	if s.mode != ModeHTTPS {
		local(w, http.StatusNotFound)
		return
	}
	seq, ok := parseCounter(r, "X-Up-Seq")
	if !ok || seq == 0 {
		c.protocolError(w, s, fmt.Errorf("%w: bad X-Up-Seq", errProtocol))
		return
	}
	body, ok := readBody(r, wire.MaxBatchBytes)
	if !ok {
		c.protocolError(w, s, fmt.Errorf("%w: up body over %d bytes or cut", wire.ErrBatch, wire.MaxBatchBytes))
		return
	}
	s.touch()
	c.o.Observer.CarrierBytes(FromClient, len(body))
	sum := sha256.Sum256(body)
	s.upMu.Lock()
	defer s.upMu.Unlock()
	switch {
	case seq == s.upSeq && sum == s.upHash:
		upAck(w, seq) // a resend of what was applied
		return
	case seq != s.upSeq+1:
		c.protocolError(w, s, fmt.Errorf("%w: up sequence %d after %d", errProtocol, seq, s.upSeq))
		return
	}
	switch err := c.receive(s, body, false); {
	case errors.Is(err, errNoRoom):
		w.Header().Set("Retry-After", "1")
		local(w, http.StatusServiceUnavailable)
		return
	case errors.Is(err, errEnded):
		local(w, http.StatusNotFound)
		return
	case err != nil:
		c.protocolError(w, s, err)
		return
	}
	s.upSeq, s.upHash = seq, sum
	upAck(w, seq)
}

func upAck(w http.ResponseWriter, seq uint64) {
	w.Header().Set("X-Up-Ack", strconv.FormatUint(seq, 10))
	local(w, http.StatusNoContent)
}

// serveDown answers a down poll: the batch after the cursor the client
// names (acknowledging the one before), a replay of the unacknowledged
// batch for the old cursor, or, with nothing to send for LongPoll, 204. A
// newer poll makes an older parked one answer 204 at once.
func (c *Carrier) serveDown(w http.ResponseWriter, r *http.Request, s *session) {
	if !apiRules(r, false) || s.mode != ModeHTTPS {
		local(w, http.StatusNotFound)
		return
	}
	cur, ok := parseCounter(r, "X-Down-Cursor")
	if !ok {
		c.protocolError(w, s, fmt.Errorf("%w: bad X-Down-Cursor", errProtocol))
		return
	}
	s.touch()
	defer s.touch()
	s.mu.Lock()
	d := &s.down
	switch {
	case d.pending != nil && cur == d.acked+1:
		payload := d.pending.payload
		d.drop(c)
		d.acked = cur
		s.budget.give(payload)
	case d.pending != nil && cur == d.acked:
		c.sendBatch(w, s, d.pending, cur+1) // a replay
		return
	case cur != d.acked:
		s.mu.Unlock()
		c.protocolError(w, s, fmt.Errorf("%w: down cursor %d, expected %d", errProtocol, cur, d.acked))
		return
	}
	d.polls++
	gen := d.polls
	s.notify() // an older parked poll sees it is not the newest
	var timer *time.Timer
	for {
		switch {
		case s.ended:
			s.mu.Unlock()
			local(w, http.StatusNotFound)
			return
		case d.polls != gen:
			s.mu.Unlock()
			downEmpty(w, cur)
			return
		case s.hasOutput():
			buf := c.getBuf()
			var payload int64
			*buf, payload = s.fill(*buf)
			if len(*buf) > 0 {
				d.pending = &batch{buf: buf, payload: payload}
				c.sendBatch(w, s, d.pending, cur+1)
				return
			}
			c.putBuf(buf)
		}
		ready := s.readyCh()
		s.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(c.o.LongPoll)
			defer timer.Stop()
		}
		select {
		case <-ready:
		case <-timer.C:
			s.mu.Lock()
			if d.polls == gen {
				d.polls++ // this poll is over: nothing may be built for it
			}
			s.mu.Unlock()
			downEmpty(w, cur)
			return
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

// sendBatch writes b as a 200 with its cursor. Called with the session's
// lock held; it releases it.
func (c *Carrier) sendBatch(w http.ResponseWriter, s *session, b *batch, cursor uint64) {
	b.refs++
	body := *b.buf
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Down-Cursor", strconv.FormatUint(cursor, 10))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	c.o.Observer.CarrierBytes(ToClient, len(body))
	s.mu.Lock()
	b.refs--
	b.release(c)
	s.mu.Unlock()
}

func downEmpty(w http.ResponseWriter, cursor uint64) {
	w.Header().Set("X-Down-Cursor", strconv.FormatUint(cursor, 10))
	local(w, http.StatusNoContent)
}
