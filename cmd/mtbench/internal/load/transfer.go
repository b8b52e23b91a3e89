package load

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/ramp"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// connResult is what one transfer or echo connection did.
type connResult struct {
	handshake  time.Duration
	start, end time.Time // the transfer, after the handshake
	up, down   int64     // verified bytes
	rtts       []time.Duration
	err        error
}

// runConns runs one per connection, started on the ramp, within
// cfg.Duration, and folds the results into r. Elapsed runs from the first
// transfer's start to the last one's end.
func runConns(ctx context.Context, cfg Config, r *report.Report,
	one func(ctx context.Context) connResult) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	sched := ramp.Schedule{N: cfg.Conns, Ramp: cfg.Ramp}
	results := make([]connResult, cfg.Conns)
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Conns {
		wg.Go(func() {
			if err := sched.Wait(ctx, begin, i); err != nil {
				results[i] = connResult{err: err}
				return
			}
			results[i] = one(ctx)
		})
	}
	wg.Wait()

	var first, last time.Time
	var hs, lat, rtts []time.Duration
	for _, res := range results {
		r.BytesUp += res.up
		r.BytesDown += res.down
		if res.handshake > 0 {
			hs = append(hs, res.handshake)
		}
		rtts = append(rtts, res.rtts...)
		if !res.start.IsZero() && (first.IsZero() || res.start.Before(first)) {
			first = res.start
		}
		if res.end.After(last) {
			last = res.end
		}
		if res.err != nil {
			r.AddError(errorKind(res.err), res.err.Error())
			continue
		}
		r.OK++
		lat = append(lat, res.end.Sub(res.start))
	}
	if !first.IsZero() && last.After(first) {
		r.Elapsed = last.Sub(first)
	}
	r.Handshake = stats.Summarize(hs)
	if rtts != nil {
		r.LatencyOf, r.Latency = "packet round trip", stats.Summarize(rtts)
	} else {
		r.LatencyOf, r.Latency = "transfer time", stats.Summarize(lat)
	}
}

func runTransfer(ctx context.Context, cfg Config, d *dialer, r *report.Report) {
	pat := newPattern(cfg.Chunk)
	runConns(ctx, cfg, r, func(ctx context.Context) connResult {
		return transferOne(ctx, cfg, d, pat)
	})
}

// transferOne dials (no probe: the first bytes of a Raw DC stream choose
// bulk or echo) and moves cfg.Bytes the configured way.
func transferOne(ctx context.Context, cfg Config, d *dialer, pat pattern) (res connResult) {
	c, hs, err := d.dial(ctx, ProbeNone)
	if err != nil {
		return connResult{err: err}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	res.handshake, res.start = hs, time.Now()
	switch cfg.Direction {
	case Up:
		res.up, res.err = upload(c, cfg, pat)
	case Down:
		res.down, res.err = download(c, cfg, pat)
	case Both:
		res.up, res.down, res.err = echoRaw(c, cfg, pat)
	}
	res.end = time.Now()
	if res.err != nil && expired(ctx) {
		res.err = fmt.Errorf("%w (%w)", endOf(ctx), res.err)
	}
	return res
}

// writePattern writes n pattern bytes in chunks.
func writePattern(w io.Writer, n int64, chunk int, pat pattern) error {
	for off := int64(0); off < n; {
		k := int(min(int64(chunk), n-off))
		if _, err := w.Write(pat.at(uint64(off), k)); err != nil {
			return err
		}
		off += int64(k)
	}
	return nil
}

// readPattern reads n bytes, checking them against the pattern when verify
// is set; it returns the bytes read (verified ones, when verifying).
func readPattern(r io.Reader, n int64, buf []byte, verify bool, pat pattern) (int64, error) {
	var off int64
	for off < n {
		k, err := r.Read(buf[:min(int64(len(buf)), n-off)])
		if k > 0 {
			if verify && !pat.check(buf[:k], uint64(off)) {
				return off, fmt.Errorf("%w: at byte %d", ErrVerify, off)
			}
			off += int64(k)
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return off, err
		}
	}
	return off, nil
}

func bulkRequest(op uint32, cfg Config) []byte {
	return fakedc.BulkRequest{Op: op, Total: uint64(cfg.Bytes), Chunk: uint32(cfg.Chunk)}.Append(nil)
}

// upload sends the pattern; the DC checks every byte and reports.
func upload(c *client.Conn, cfg Config, pat pattern) (int64, error) {
	raw := c.Raw()
	if _, err := raw.Write(bulkRequest(fakedc.OpUpload, cfg)); err != nil {
		return 0, err
	}
	if err := writePattern(raw, cfg.Bytes, cfg.Chunk, pat); err != nil {
		return 0, err
	}
	var b [fakedc.BulkRequestLen]byte
	if _, err := io.ReadFull(raw, b[:]); err != nil {
		return 0, fmt.Errorf("waiting for the upload report: %w", err)
	}
	rep, err := fakedc.ParseBulkReport(b[:])
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrVerify, err)
	}
	if rep.Received != uint64(cfg.Bytes) || rep.FirstBad != -1 {
		return 0, fmt.Errorf("%w: DC received %d of %d bytes, first bad at %d",
			ErrVerify, rep.Received, cfg.Bytes, rep.FirstBad)
	}
	return cfg.Bytes, nil
}

// download asks the DC for the pattern and reads it.
func download(c *client.Conn, cfg Config, pat pattern) (int64, error) {
	raw := c.Raw()
	if _, err := raw.Write(bulkRequest(fakedc.OpDownload, cfg)); err != nil {
		return 0, err
	}
	return readPattern(raw, cfg.Bytes, make([]byte, cfg.Chunk), cfg.Verify, pat)
}

// echoRaw sends the pattern to a Raw DC's echo and reads it back, both at
// once.
func echoRaw(c *client.Conn, cfg Config, pat pattern) (up, down int64, err error) {
	raw := c.Raw()
	werr := make(chan error, 1)
	go func() { werr <- writePattern(raw, cfg.Bytes, cfg.Chunk, pat) }()
	down, rerr := readPattern(raw, cfg.Bytes, make([]byte, cfg.Chunk), cfg.Verify, pat)
	if rerr != nil {
		c.Close() // unblock the writer
	}
	if err := <-werr; err != nil && rerr == nil {
		return 0, down, err
	}
	if rerr != nil {
		return down, down, rerr
	}
	return cfg.Bytes, down, nil
}
