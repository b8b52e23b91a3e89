package tlsprofile

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// maxFlight bounds the bytes a probe reads: a server flight with a large
// certificate chain and early session tickets stays well below it.
const maxFlight = 64 << 10

// Probe connects to o.Addr, sends a Telegram-shaped ClientHello for
// o.ServerName and records the origin's answer (see the package
// documentation). Errors are *ProbeError; classify them with [ResultOf].
func Probe(ctx context.Context, o Options) (Observation, error) {
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var secret [16]byte // any: nobody checks this hello's MAC
	if _, err := io.ReadFull(o.Rand, secret[:]); err != nil {
		return Observation{}, fail(ResultBadAnswer, "random: %w", err)
	}
	hello, _, err := faketls.BuildClientHello(o.Rand, secret, faketls.HelloOptions{
		Domain: o.ServerName, Timestamp: uint32(o.Now().Unix()),
	})
	if err != nil {
		return Observation{}, fail(ResultBadAnswer, "hello: %w", err)
	}
	conn, err := o.Dial(ctx, "tcp", o.Addr)
	if err != nil {
		return Observation{}, fail(ResultDialFailed, "%s: %w", o.Addr, err)
	}
	defer conn.Close()
	// The context ends reads and writes at once; Settle ends reads early.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	at := o.Now()
	if _, err := conn.Write(hello); err != nil {
		return Observation{}, fail(ResultDialFailed, "%s: sending the hello: %w", o.Addr, err)
	}
	dl, _ := ctx.Deadline()
	r := &flightReader{conn: conn, start: time.Now(), deadline: dl, buf: make([]byte, 0, maxFlight)}
	ob, err := r.read(ctx, o)
	if err != nil {
		return Observation{}, err
	}
	ob.Addr, ob.At = conn.RemoteAddr().String(), at
	if ob.Profile, err = ob.profile(o); err != nil {
		return Observation{}, err
	}
	return ob, nil
}

// flightReader reads the origin's records as they arrive, noting when
// each read returned.
type flightReader struct {
	conn     net.Conn
	start    time.Time
	deadline time.Time // the probe's
	buf      []byte
	reads    []arrival
	pos      int // start of the first record not yet parsed
}

// arrival is the end offset in buf of one read and when it returned.
type arrival struct {
	end int
	at  time.Duration
}

// fill reads once more, until deadline (zero: the probe's). It returns
// io.EOF when the origin closed and os.ErrDeadlineExceeded on time.
func (r *flightReader) fill(deadline time.Time) error {
	if len(r.buf) == cap(r.buf) {
		return errFull
	}
	if deadline.IsZero() || deadline.After(r.deadline) {
		deadline = r.deadline
	}
	_ = r.conn.SetReadDeadline(deadline)
	n, err := r.conn.Read(r.buf[len(r.buf):cap(r.buf)])
	if n > 0 {
		r.buf = r.buf[:len(r.buf)+n]
		r.reads = append(r.reads, arrival{end: len(r.buf), at: time.Since(r.start)})
	}
	if n > 0 && err != nil && !errors.Is(err, io.EOF) {
		return nil // use what came; the next read reports the error
	}
	return err
}

var errFull = errors.New("flight larger than 64 KiB")

// arrivedAt returns when the byte at offset off arrived.
func (r *flightReader) arrivedAt(off int) time.Duration {
	for _, a := range r.reads {
		if off < a.end {
			return a.at
		}
	}
	return 0
}

// next returns the next complete record, or ok=false when it has not all
// arrived.
func (r *flightReader) next() (rec Record, body []byte, ok bool) {
	rest := r.buf[r.pos:]
	if len(rest) < faketls.RecordHeaderLen {
		return Record{}, nil, false
	}
	n := int(binary.BigEndian.Uint16(rest[3:5]))
	end := faketls.RecordHeaderLen + n
	if len(rest) < end {
		return Record{}, nil, false
	}
	rec = Record{Type: rest[0], Len: n, First: r.arrivedAt(r.pos), Last: r.arrivedAt(r.pos + end - 1)}
	body = rest[:end]
	r.pos += end
	return rec, body, true
}

// read reads the ServerHello record, then every record of the burst that
// follows until the origin is quiet for Settle.
func (r *flightReader) read(ctx context.Context, o Options) (Observation, error) {
	var ob Observation
	rec, body, err := r.firstRecord(ctx)
	if err != nil {
		return ob, err
	}
	if err := ob.addServerHello(rec, body); err != nil {
		return ob, err
	}
	settle := max(o.Settle, 2*rec.First)
	for {
		for {
			rec, body, ok := r.next()
			if !ok {
				break
			}
			if err := ob.add(rec, body); err != nil {
				return ob, err
			}
		}
		if len(ob.Records) > maxRecords {
			return ob, fail(ResultBadAnswer, "more than %d records", maxRecords)
		}
		last := time.Duration(0)
		if len(r.reads) > 0 {
			last = r.reads[len(r.reads)-1].at
		}
		err := r.fill(r.start.Add(last + settle))
		switch {
		case err == nil:
			continue
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil && r.pos == len(r.buf),
			errors.Is(err, io.EOF) && r.pos == len(r.buf):
			// Quiet after whole records (or closed): the flight is over.
			return ob, ob.complete()
		case ctx.Err() != nil || !time.Now().Before(r.deadline):
			return ob, fail(ResultTimeout, "the flight did not end within the timeout")
		case errors.Is(err, io.EOF):
			return ob, fail(ResultBadAnswer, "the origin closed inside a record")
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue // quiet inside a record: a slow link; wait on
		}
		return ob, fail(ResultBadAnswer, "reading the flight: %w", err)
	}
}

// firstRecord reads until the first record is complete.
func (r *flightReader) firstRecord(ctx context.Context) (Record, []byte, error) {
	for {
		if rec, body, ok := r.next(); ok {
			return rec, body, nil
		}
		if len(r.buf) > 0 && r.buf[0] != faketls.TypeHandshake && r.buf[0] != faketls.TypeAlert {
			return Record{}, nil, fail(ResultNotTLS13, "the origin answered %q, not TLS", printable(r.buf[:min(len(r.buf), 16)]))
		}
		err := r.fill(time.Time{})
		switch {
		case err == nil:
		case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
			return Record{}, nil, fail(ResultTimeout, "no ServerHello within the timeout")
		case errors.Is(err, io.EOF):
			return Record{}, nil, fail(ResultBadAnswer, "the origin closed after %d bytes, without a ServerHello", len(r.buf))
		default:
			return Record{}, nil, fail(ResultBadAnswer, "reading the ServerHello: %w", err)
		}
	}
}

// printable keeps the ASCII letters of b, for an error text.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}
