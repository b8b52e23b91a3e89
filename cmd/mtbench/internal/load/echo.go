package load

import (
	"context"
	"fmt"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// maxRTTSamples bounds the round trips a run keeps for its percentiles;
// connections keep every k-th when there would be more.
const maxRTTSamples = 1 << 20

func runEcho(ctx context.Context, cfg Config, d *dialer, r *report.Report) {
	packets := cfg.Bytes / int64(cfg.Packet)
	r.BytesPerConn, r.PacketSize, r.Window = packets*int64(cfg.Packet), cfg.Packet, cfg.Window
	stride := max(1, packets*int64(cfg.Conns)/maxRTTSamples)
	pat := newPattern(cfg.Packet)
	runConns(ctx, cfg, r, func(ctx context.Context) connResult {
		return echoOne(ctx, cfg, d, pat, packets, stride)
	})
}

// echoOne sends packets of cfg.Packet pattern bytes, at most cfg.Window
// unanswered, and checks each echo, timing its round trip.
func echoOne(ctx context.Context, cfg Config, d *dialer, pat pattern, packets, stride int64) (res connResult) {
	c, hs, err := d.dial(ctx, cfg.Probe)
	if err != nil {
		return connResult{err: err}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	res.handshake, res.start = hs, time.Now()
	res.rtts = make([]time.Duration, 0, packets/stride+1)

	// sent carries each packet's send time to the reader; its capacity is
	// the window, so the writer blocks while Window packets are unanswered.
	sent := make(chan time.Time, cfg.Window)
	werr := make(chan error, 1)
	// readDone ends a writer waiting for room in the window once the
	// reader has stopped (closing the connection does not reach it there).
	readDone := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range packets {
			select {
			case sent <- time.Now():
			case <-readDone:
				werr <- nil
				return
			}
			if err := c.WritePacket(pat.at(uint64(i)*uint64(cfg.Packet), cfg.Packet), false); err != nil {
				werr <- err
				return
			}
			res.up += int64(cfg.Packet)
		}
		werr <- nil
	}()
	res.err = readEchoes(c, cfg, pat, packets, stride, sent, &res)
	close(readDone)
	if res.err != nil {
		c.Close() // unblock the writer
	}
	if err := <-werr; err != nil && res.err == nil {
		res.err = err
	}
	res.end = time.Now()
	if res.err != nil && expired(ctx) {
		res.err = fmt.Errorf("%w (%w)", endOf(ctx), res.err)
	}
	return res
}

func readEchoes(c *client.Conn, cfg Config, pat pattern, packets, stride int64,
	sent <-chan time.Time, res *connResult) error {
	for i := int64(0); i < packets; {
		p, err := c.ReadPacket()
		if err != nil {
			return err
		}
		if p.QuickAck {
			continue
		}
		t, ok := <-sent
		if !ok {
			return fmt.Errorf("%w: an echo arrived for a packet never sent", ErrVerify)
		}
		rtt := time.Since(t)
		if len(p.Data) != cfg.Packet || !pat.check(p.Data, uint64(i)*uint64(cfg.Packet)) {
			return fmt.Errorf("%w: echo of packet %d differs", ErrVerify, i)
		}
		if i%stride == 0 {
			res.rtts = append(res.rtts, rtt)
		}
		res.down += int64(len(p.Data))
		i++
	}
	return nil
}
