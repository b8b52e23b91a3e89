package fakedc

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"
	"time"
)

// pollInterval bounds how long a Wait method takes to notice a change that
// is not an event (byte and packet counters).
const pollInterval = 10 * time.Millisecond

// counters are the DC-wide totals, updated atomically on the hot paths.
type counters struct {
	accepted, active, headerOK, badHeader atomic.Int64
	reqPQ, reqDH, echoed, bulk            atomic.Int64
	bytesIn, bytesOut                     atomic.Int64
}

// Stats are DC-wide totals since New.
type Stats struct {
	Accepted  int64 // connections accepted
	Active    int64 // connections open now
	HeaderOK  int64 // valid headers
	BadHeader int64 // headers missing, short or not decrypting to a tag
	ReqPQ     int64 // resPQ answers sent
	ReqDH     int64 // req_DH_params recorded
	Echoed    int64 // packets echoed (Packets mode)
	Bulk      int64 // bulk transfers completed
	BytesIn   int64 // bytes read after headers
	BytesOut  int64 // bytes written
}

// Stats returns the current totals.
func (d *DC) Stats() Stats {
	return Stats{
		Accepted: d.st.accepted.Load(), Active: d.st.active.Load(),
		HeaderOK: d.st.headerOK.Load(), BadHeader: d.st.badHeader.Load(),
		ReqPQ: d.st.reqPQ.Load(), ReqDH: d.st.reqDH.Load(),
		Echoed: d.st.echoed.Load(), Bulk: d.st.bulk.Load(),
		BytesIn: d.st.bytesIn.Load(), BytesOut: d.st.bytesOut.Load(),
	}
}

// Conns returns a snapshot of every recorded connection in accept order
// (with Options.ForgetClosed, only the open ones).
func (d *DC) Conns() []ConnInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]ConnInfo, 0, len(d.conns))
	for _, c := range d.conns {
		out = append(out, c.info())
	}
	slices.SortFunc(out, func(a, b ConnInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// WaitReqDH waits for a req_DH_params message and returns the connection
// as it was when the message arrived. Each arrival is returned once, in
// order, so successive calls see successive messages. It fails with the
// context's error, or ErrClosed once the DC is closed and none is left.
func (d *DC) WaitReqDH(ctx context.Context) (ConnInfo, error) {
	for {
		d.mu.Lock()
		if len(d.reqDH) > 0 {
			ci := d.reqDH[0]
			d.reqDH = d.reqDH[1:]
			d.mu.Unlock()
			return ci, nil
		}
		closed, ch := d.closed, d.changed
		d.mu.Unlock()
		if closed {
			return ConnInfo{}, ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ConnInfo{}, ctx.Err()
		}
	}
}

// WaitFor waits until some recorded connection satisfies pred and returns
// the first one in accept order. pred runs with the DC locked: it must not
// call the DC.
func (d *DC) WaitFor(ctx context.Context, pred func(ConnInfo) bool) (ConnInfo, error) {
	return wait(ctx, d, func() (ConnInfo, bool) {
		var best *conn
		for _, c := range d.conns {
			if (best == nil || c.id < best.id) && pred(c.info()) {
				best = c
			}
		}
		if best == nil {
			return ConnInfo{}, false
		}
		return best.info(), true
	})
}

// WaitStats waits until pred holds for the DC's totals and returns them.
func (d *DC) WaitStats(ctx context.Context, pred func(Stats) bool) (Stats, error) {
	return wait(ctx, d, func() (Stats, bool) {
		st := d.Stats()
		return st, pred(st)
	})
}

// wait evaluates check, with d.mu held, on every event and every
// pollInterval until it succeeds.
func wait[T any](ctx context.Context, d *DC, check func() (T, bool)) (T, error) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		d.mu.Lock()
		v, ok := check()
		closed, ch := d.closed, d.changed
		d.mu.Unlock()
		switch {
		case ok:
			return v, nil
		case closed:
			return v, ErrClosed
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// event applies f, which changes guarded state, and wakes the waiters.
func (d *DC) event(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
	d.broadcast()
}

// broadcast wakes every waiter; the caller holds d.mu.
func (d *DC) broadcast() {
	close(d.changed)
	d.changed = make(chan struct{})
}
