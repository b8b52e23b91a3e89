package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// ProbeResult is what a proxy did with bytes a Probe sent.
type ProbeResult struct {
	// Reply holds the bytes received, up to the probe's limit.
	Reply []byte
	// Closed is true when the peer closed (or reset) the connection; false
	// when it stayed silent for the idle time.
	Closed bool
}

// Probe connects to addr, sends payload (a replayed hello or header, a
// malformed handshake, an HTTP request...), and collects what comes back
// until the peer closes the connection, stays idle for idle, or limit bytes
// arrived. A proxy refusing a client silently shows as an empty Reply;
// fronting shows as the fronted site's answer.
func Probe(ctx context.Context, addr string, payload []byte, idle time.Duration, limit int) (ProbeResult, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("client: %w", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := nc.Write(payload); err != nil {
		return ProbeResult{}, fmt.Errorf("client: probe write: %w", ctxErr(ctx, err))
	}
	reply, closed, err := readAll(nc, idle, limit)
	if errors.Is(err, syscall.ECONNRESET) {
		err = nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return ProbeResult{Reply: reply, Closed: closed}, cerr
	}
	return ProbeResult{Reply: reply, Closed: closed}, err
}
