package proxy

import (
	"time"

	"github.com/mtproxy/mtproxy/proxy/replay"
)

// replayed reports whether a handshake was seen before: by the local
// cache, or else by the fleet's shared store (Options.SharedReplay), which
// records it until expires. The local cache is asked first, so a replay to
// this replica costs no round trip and the store is asked once per
// handshake.
func (p *Proxy) replayed(k replay.Key, now, expires time.Time) bool {
	if p.replay.Seen(k, now, expires) {
		return true
	}
	return p.o.SharedReplay != nil && p.o.SharedReplay.Seen(k, now, expires)
}
