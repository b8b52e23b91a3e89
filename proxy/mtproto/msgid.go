package mtproto

import (
	"sync"
	"time"
)

// MsgKind is what the two low bits of a msg_id say about its sender.
type MsgKind uint8

// Message id kinds (msg_id mod 4).
const (
	// ClientMsg: sent by a client, msg_id divisible by 4.
	ClientMsg MsgKind = 0
	// ServerResponse: a server's answer to a client message, 1 mod 4.
	ServerResponse MsgKind = 1
	// ServerMsg: a server message that answers nothing, 3 mod 4.
	ServerMsg MsgKind = 3
)

// KindOf returns the kind a msg_id's low bits encode, and whether they are
// a valid kind at all (2 mod 4 is not).
func KindOf(id int64) (MsgKind, bool) {
	k := MsgKind(id & 3)
	return k, k != 2
}

// MsgIDTime returns the unix time encoded in the upper 32 bits of a msg_id.
func MsgIDTime(id int64) time.Time { return time.Unix(id>>32, 0) }

// MsgID returns the msg_id a sender of kind k would use at time t: unix
// seconds in the upper 32 bits, the fraction of the second in the lower 32,
// the low two bits replaced by the kind.
func MsgID(t time.Time, k MsgKind) int64 {
	frac := int64(t.Nanosecond()) << 32 / int64(time.Second)
	return (t.Unix()<<32|frac)&^3 | int64(k)
}

// MsgIDs hands out strictly increasing message ids for one sender, as a
// session requires even when the clock stalls or steps back. The zero value
// is ready; it is safe for concurrent use.
type MsgIDs struct {
	mu   sync.Mutex
	last int64
}

// Next returns MsgID(now, k), or the smallest id of kind k above the last
// one handed out when that is not greater.
func (g *MsgIDs) Next(now time.Time, k MsgKind) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := MsgID(now, k)
	if id <= g.last {
		id = g.last&^3 | int64(k)
		if id <= g.last {
			id += 4
		}
	}
	g.last = id
	return id
}
