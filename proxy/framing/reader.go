package framing

import (
	"errors"
	"io"
)

// Buffer policy shared by Reader and Writer. A buffer starts at
// baseBufSize and grows to fit the largest packet seen. Once it is larger
// than baseBufSize, it is swapped back for a baseBufSize one after
// shrinkAfter consecutive packets that would have fitted in baseBufSize, so
// one big upload does not pin a megabyte per connection, while a run of big
// packets does not reallocate per packet. (An idle connection keeps its
// buffer until it sees more traffic.)
const (
	baseBufSize = 8 << 10
	shrinkAfter = 16
	// maxEmptyReads bounds how often the source may return 0, nil in a row.
	maxEmptyReads = 100
)

// Reader reads packets of one transport from a stream. It buffers: it may
// read past the current packet, so the underlying reader must not be used
// directly once a Reader wraps it. A Reader is not safe for concurrent use.
type Reader struct {
	src       io.Reader
	t         Transport
	limit     int  // payload limit
	responses bool // server->client stream: quick-ACK bit marks a token
	buf       []byte
	start     int   // first unread byte in buf
	end       int   // end of buffered bytes in buf
	small     int   // consecutive small packets while buf is oversized
	readErr   error // error from src, reported once buffered bytes run out
	err       error // sticky error returned by every later ReadPacket
}

// NewReader returns a Reader of packets sent from client to server, where
// the quick-ACK bit requests a quick ACK. Payloads above maxPacket bytes
// (0 or less: MaxPacketSize) fail with ErrPacketTooLarge.
func NewReader(r io.Reader, t Transport, maxPacket int) *Reader {
	if maxPacket <= 0 {
		maxPacket = MaxPacketSize
	}
	return &Reader{src: r, t: t, limit: maxPacket}
}

// NewResponseReader returns a Reader of packets sent from server to
// client, where a header with the quick-ACK bit set is a bare 4-byte
// quick-ACK token instead. ReadPacket returns such a token as 4 bytes in
// little-endian order (already byte-swapped back for abridged) with
// quickAck true.
func NewResponseReader(r io.Reader, t Transport, maxPacket int) *Reader {
	rd := NewReader(r, t, maxPacket)
	rd.responses = true
	return rd
}

// ReadPacket returns the next packet's payload (for Padded, truncated to
// a multiple of 4 bytes) and whether its header had the quick-ACK bit set.
// The slice is valid until the next call. At a clean end of stream it
// returns io.EOF; a stream ending inside a packet gives io.ErrUnexpectedEOF.
// Any error is sticky, since the stream cannot be resynchronised.
func (r *Reader) ReadPacket() (pkt []byte, quickAck bool, err error) {
	if r.err != nil {
		return nil, false, r.err
	}
	pkt, quickAck, err = r.next()
	if err != nil {
		r.err = err
		return nil, false, err
	}
	return pkt, quickAck, nil
}

func (r *Reader) next() ([]byte, bool, error) {
	if !r.t.Valid() {
		return nil, false, ErrBadTransport
	}
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
	r.maybeShrink()
	if err := r.fill(1); err != nil {
		return nil, false, err
	}
	if r.responses {
		if tok, ok, err := r.token(); ok || err != nil {
			return tok, ok, err
		}
	}
	length, hl, quickAck, err := parseHeader(r.t, r.buf[r.start:r.end], r.limit)
	if errors.Is(err, ErrShortHeader) {
		if err = r.fill(maxHeaderLen); err != nil {
			return nil, false, err
		}
		length, hl, quickAck, err = parseHeader(r.t, r.buf[r.start:r.end], r.limit)
	}
	if err != nil {
		return nil, false, err
	}
	total := hl + length
	if err := r.fill(total); err != nil {
		return nil, false, err
	}
	payload := length
	if r.t == Padded {
		payload &^= 3
	}
	pkt := r.buf[r.start+hl : r.start+hl+payload]
	r.start += total
	r.account(total)
	return pkt, quickAck, nil
}

// token consumes a quick-ACK token if the next header announces one.
func (r *Reader) token() ([]byte, bool, error) {
	if r.t == Abridged && r.buf[r.start]&abridgedQuickAck == 0 {
		return nil, false, nil
	}
	if err := r.fill(4); err != nil {
		return nil, false, err
	}
	tok := r.buf[r.start : r.start+4]
	if r.t == Abridged {
		tok[0], tok[1], tok[2], tok[3] = tok[3], tok[2], tok[1], tok[0]
	} else if tok[3]&0x80 == 0 {
		return nil, false, nil
	}
	r.start += 4
	return tok, true, nil
}

// fill makes at least n bytes available in buf[start:end].
func (r *Reader) fill(n int) error {
	if r.end-r.start >= n {
		return nil
	}
	if len(r.buf)-r.start < n {
		r.makeRoom(n)
	}
	for empty := 0; r.end-r.start < n; {
		if r.readErr != nil {
			return r.eof(r.readErr)
		}
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		r.readErr = err
		if m > 0 {
			empty = 0
		} else if err == nil {
			if empty++; empty >= maxEmptyReads {
				r.readErr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// eof maps a read error: io.EOF is clean only between packets.
func (r *Reader) eof(err error) error {
	if err == io.EOF && r.end > r.start {
		return io.ErrUnexpectedEOF
	}
	return err
}

// makeRoom ensures buf[start:] can hold n bytes, moving buffered bytes to
// the front and growing buf as needed.
func (r *Reader) makeRoom(n int) {
	if len(r.buf) >= n {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
		return
	}
	size := max(n, baseBufSize, min(2*len(r.buf), r.limit+maxHeaderLen+3))
	nb := make([]byte, size)
	r.end = copy(nb, r.buf[r.start:r.end])
	r.start = 0
	r.buf = nb
}

// account tracks the shrink policy after a packet of total wire bytes.
func (r *Reader) account(total int) {
	if len(r.buf) <= baseBufSize {
		return
	}
	if total <= baseBufSize {
		r.small++
	} else {
		r.small = 0
	}
}

// maybeShrink swaps an oversized buffer for a base-sized one when the
// policy says so and the buffered bytes fit.
func (r *Reader) maybeShrink() {
	if r.small < shrinkAfter || r.end-r.start > baseBufSize {
		return
	}
	nb := make([]byte, baseBufSize)
	r.end = copy(nb, r.buf[r.start:r.end])
	r.start = 0
	r.buf = nb
	r.small = 0
}
