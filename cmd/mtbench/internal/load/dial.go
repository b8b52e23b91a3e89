package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// echoProbeLen is the size of the raw echo probe.
const echoProbeLen = 64

// dialer opens client connections as a Config describes them.
type dialer struct {
	cfg  Config
	opts client.Options
	pat  pattern // for the echo probe
	// next picks the secret of the next dial from cfg.Secrets.
	next atomic.Uint64
}

func newDialer(cfg Config) *dialer {
	return &dialer{
		cfg: cfg,
		opts: client.Options{
			Secret: cfg.Secret.Key,
			Mode:   cfg.Mode,
			DC:     cfg.DC,
			Domain: cfg.Secret.Domain,
		},
		pat: newPattern(echoProbeLen),
	}
}

// dial connects and handshakes, then runs probe, all within cfg.Timeout. It
// returns the connection and how long that took.
func (d *dialer) dial(ctx context.Context, probe Probe) (*client.Conn, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	opts := d.opts
	if n := uint64(len(d.cfg.Secrets)); n > 0 {
		s := d.cfg.Secrets[(d.next.Add(1)-1)%n]
		opts.Secret, opts.Domain = s.Key, s.Domain
	}
	t0 := time.Now()
	c, err := client.Dial(ctx, d.cfg.Addr, opts)
	if err != nil {
		return nil, 0, err
	}
	switch probe {
	case ProbeReqPQ:
		_, err = c.ReqPQ(ctx)
	case ProbeEcho:
		err = d.echoProbe(ctx, c)
	}
	if err != nil {
		c.Close()
		return nil, 0, err
	}
	return c, time.Since(t0), nil
}

// echoProbe sends 64 pattern bytes through a Raw DC's echo and checks they
// come back. The pattern starts with 00 01 02 03, never the bulk magic.
func (d *dialer) echoProbe(ctx context.Context, c *client.Conn) error {
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() { // the deadline was set: clear it for the caller
			c.SetDeadline(time.Time{})
		}
	}()
	out := d.pat.at(0, echoProbeLen)
	if _, err := c.Raw().Write(out); err != nil {
		return fmt.Errorf("echo probe: %w", err)
	}
	var in [echoProbeLen]byte
	if _, err := io.ReadFull(c.Raw(), in[:]); err != nil {
		return fmt.Errorf("echo probe: %w", err)
	}
	if !bytes.Equal(in[:], out) {
		return fmt.Errorf("%w: echo probe came back different", ErrVerify)
	}
	return nil
}
