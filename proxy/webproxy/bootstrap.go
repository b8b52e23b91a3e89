package webproxy

import "time"

// bootstrap is a page's one-time token: it creates one session, and a
// byte-identical retry of the creation gets that same session back.
type bootstrap struct {
	token   string
	entry   capEntry
	expires time.Time
	session *session // set once consumed
}

// bootstraps holds the outstanding tokens, oldest first. They all live
// BootstrapTTL, so the oldest is also the first to expire.
type bootstraps struct {
	max   int
	byTok map[string]*bootstrap
	order []*bootstrap
}

func newBootstraps(max int) bootstraps {
	return bootstraps{max: max, byTok: map[string]*bootstrap{}}
}

// add registers b, dropping expired tokens and, at the limit, the oldest.
// It reports whether one was dropped at the limit.
func (bs *bootstraps) add(b *bootstrap, now time.Time) (evicted bool) {
	bs.expire(now)
	if len(bs.order) >= bs.max {
		bs.drop()
		evicted = true
	}
	bs.byTok[b.token] = b
	bs.order = append(bs.order, b)
	return evicted
}

// get returns the live bootstrap of a token.
func (bs *bootstraps) get(tok string, now time.Time) *bootstrap {
	bs.expire(now)
	return bs.byTok[tok]
}

func (bs *bootstraps) expire(now time.Time) {
	for len(bs.order) > 0 && !now.Before(bs.order[0].expires) {
		bs.drop()
	}
}

func (bs *bootstraps) drop() {
	b := bs.order[0]
	bs.order[0] = nil
	bs.order = bs.order[1:]
	delete(bs.byTok, b.token)
	if len(bs.order) == 0 {
		bs.order = nil
	}
}
