package fronthost

import (
	"context"
	"net"

	"github.com/mtproxy/mtproxy/proxy/dc"
)

// Dial connects to the fronting host: its cached addresses in turn (see
// [Resolver.Addrs]), each attempt bounded by ctx and dc.Dialer's timeout.
// Errors are the look-up's (ErrSelf among them) or the last attempt's.
func (r *Resolver) Dial(ctx context.Context) (net.Conn, error) {
	addrs, err := r.Addrs(ctx)
	if err != nil {
		return nil, err
	}
	c, _, err := (&dc.Dialer{KeepAlive: -1}).Dial(ctx, addrs, nil)
	return c, err
}
