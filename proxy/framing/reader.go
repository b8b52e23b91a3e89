package framing

import (
	"errors"
	"io"
)

// Buffer policy shared by Reader and Writer. A buffer starts at
// baseBufSize and grows with the bytes that arrive, never ahead of them: a
// header announcing a megabyte costs nothing until the megabyte comes
// (each step at most doubles the buffer, up to the packet's size). Once it
// is larger than baseBufSize, it is swapped back for a baseBufSize one
// after shrinkAfter consecutive packets that would have fitted in
// baseBufSize, so one big upload does not pin a megabyte per connection,
// while a run of big packets does not reallocate per packet. (An idle
// connection keeps its buffer until it sees more traffic.) A Reader with
// Buffers (NewPooledReader) borrows its buffers instead, starting at
// PooledBase, and swaps a larger one back whenever nothing is buffered
// between packets.
const (
	baseBufSize = 8 << 10
	shrinkAfter = 16
	// maxEmptyReads bounds how often the source may return 0, nil in a row.
	maxEmptyReads = 100
	// PooledBase is the smallest buffer a pooled Reader asks for.
	PooledBase = 1 << 10
	// maxHint bounds the first buffer of a pooled Reader's packet that
	// follows a large one (see Reader.hint).
	maxHint = 64 << 10
)

// Buffers lends a Reader its buffers (see NewPooledReader).
type Buffers interface {
	// Get returns a buffer of length at least n, or an error when none
	// may be lent; the Reader then fails with that error.
	Get(n int) (*[]byte, error)
	// Put takes back a buffer obtained from Get.
	Put(b *[]byte)
}

// Reader reads packets of one transport from a stream. It buffers: it may
// read past the current packet, so the underlying reader must not be used
// directly once a Reader wraps it. A Reader is not safe for concurrent use.
type Reader struct {
	src       io.Reader
	t         Transport
	limit     int  // payload limit
	responses bool // server->client stream: quick-ACK bit marks a token
	buf       []byte
	base      int            // the smallest buffer
	bufs      Buffers        // nil: buf is the Reader's own
	lent      *[]byte        // the buffer borrowed from bufs
	wait      readableWaiter // a pooled Reader's source, when it can wait for bytes
	start     int            // first unread byte in buf
	end       int            // end of buffered bytes in buf
	small     int            // consecutive small packets while buf is oversized
	// hint is a pooled Reader's first buffer for its next packet: twice
	// the wire size of the packet before (at most maxHint; base when that
	// was smaller). A stream of large packets then reads each in one call
	// instead of growing from base in doubling steps, each a read, a copy
	// and a trip to the pool, and a busy one can take two or more packets
	// per read (see PacketBuffered); it is borrowed only once the next
	// packet's first bytes are there, and an idle stream holds no buffer
	// at all.
	hint     int
	inPacket bool  // a header was consumed, its packet not yet
	readErr  error // error from src, reported once buffered bytes run out
	err      error // sticky error returned by every later ReadPacket
}

// NewReader returns a Reader of packets sent from client to server, where
// the quick-ACK bit requests a quick ACK. Payloads above maxPacket bytes
// (0 or less: MaxPacketSize) fail with ErrPacketTooLarge.
func NewReader(r io.Reader, t Transport, maxPacket int) *Reader {
	if maxPacket <= 0 {
		maxPacket = MaxPacketSize
	}
	return &Reader{src: r, t: t, limit: maxPacket, base: baseBufSize}
}

// NewPooledReader is NewReader with buffers borrowed from bufs: one of
// PooledBase bytes to start a packet, growing with its bytes as they
// arrive. Release returns the buffer when the Reader is done.
//
// When r can wait for bytes without reading them (it has a method
// WaitReadable() error, as proxy.ReadableWaiter), the Reader holds no
// buffer while the stream idles between packets: it gives its buffer back
// once every buffered byte is consumed and waits for the next ones before
// borrowing again.
func NewPooledReader(r io.Reader, t Transport, maxPacket int, bufs Buffers) *Reader {
	rd := NewReader(r, t, maxPacket)
	rd.bufs, rd.base = bufs, PooledBase
	rd.wait, _ = r.(readableWaiter)
	return rd
}

// readableWaiter is a source that can wait until a Read would not block
// (bytes, the end of the stream, an error or its deadline), holding no
// buffer. errors.ErrUnsupported means it cannot.
type readableWaiter interface {
	WaitReadable() error
}

// idle gives a pooled Reader's buffer back while nothing is buffered and
// waits for the source's next bytes. An error of the wait is left for the
// Read that follows to report.
func (r *Reader) idle() {
	if r.wait == nil || r.start != r.end || r.readErr != nil {
		return
	}
	r.Release()
	if err := r.wait.WaitReadable(); errors.Is(err, errors.ErrUnsupported) {
		r.wait = nil
	}
}

// Release returns a pooled Reader's buffer; the Reader must not be used
// afterwards. It does nothing for a Reader of NewReader.
func (r *Reader) Release() {
	if r.lent != nil {
		r.bufs.Put(r.lent)
		r.lent, r.buf = nil, nil
	}
	r.start, r.end = 0, 0
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
	r.idle()
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
	// The header is consumed first, so that the buffer holds the packet
	// alone: a payload of a power of two fits a buffer of that size.
	r.start += hl
	r.inPacket = true
	if err := r.fill(length); err != nil {
		return nil, false, err
	}
	r.inPacket = false
	payload := length
	if r.t == Padded {
		payload &^= 3
	}
	pkt := r.buf[r.start : r.start+payload]
	r.start += length
	r.account(hl + length)
	if r.bufs != nil {
		r.hint = min(2*(hl+length), maxHint)
	}
	return pkt, quickAck, nil
}

// PacketBuffered reports whether the next packet (or quick-ACK token) is
// wholly in the buffer already, so that ReadPacket will return it without
// reading: a caller that forwards packets can then leave its output
// unflushed until the last of a run.
func (r *Reader) PacketBuffered() bool {
	if r.err != nil || !r.t.Valid() || r.start == r.end {
		return false
	}
	b := r.buf[r.start:r.end]
	if r.responses && ((r.t == Abridged && b[0]&abridgedQuickAck != 0) ||
		(r.t != Abridged && len(b) >= 4 && b[3]&0x80 != 0)) {
		return len(b) >= 4
	}
	length, hl, _, err := parseHeader(r.t, b, r.limit)
	return err == nil && len(b) >= hl+length
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

// fill makes at least n bytes available in buf[start:end], making room
// only as bytes arrive.
func (r *Reader) fill(n int) error {
	for empty := 0; r.end-r.start < n; {
		if r.readErr != nil {
			return r.eof(r.readErr)
		}
		if r.end == len(r.buf) {
			if err := r.makeRoom(n); err != nil {
				return err
			}
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
	if err == io.EOF && (r.end > r.start || r.inPacket) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// makeRoom frees space after the buffered bytes, which fill up buf, on the
// way to n of them: it moves them to the front when that frees at least
// half the buffer (or all that n needs), else it takes a buffer twice as
// large, at least the base size and at most what n needs.
func (r *Reader) makeRoom(n int) error {
	have := r.end - r.start
	if r.start > 0 && (2*have <= len(r.buf) || n <= len(r.buf)) {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
		return nil
	}
	if len(r.buf) == 0 && r.hint > r.base {
		return r.swap(r.hint) // a pooled Reader's first buffer (see hint)
	}
	size := max(2*len(r.buf), r.base)
	if size > n {
		size = max(n, r.base)
	}
	return r.swap(size)
}

// swap replaces buf with one of at least size bytes holding the buffered
// bytes at its front.
func (r *Reader) swap(size int) error {
	var nb []byte
	var lent *[]byte
	if r.bufs != nil {
		b, err := r.bufs.Get(size)
		if err != nil {
			return err
		}
		lent, nb = b, (*b)[:cap(*b)]
	} else {
		nb = make([]byte, size)
	}
	r.end = copy(nb, r.buf[r.start:r.end])
	r.start = 0
	if r.lent != nil {
		r.bufs.Put(r.lent)
	}
	r.buf, r.lent = nb, lent
	return nil
}

// account tracks the shrink policy after a packet of total wire bytes.
func (r *Reader) account(total int) {
	if len(r.buf) <= baseBufSize || r.bufs != nil {
		return
	}
	if total <= baseBufSize {
		r.small++
	} else {
		r.small = 0
	}
}

// maybeShrink swaps an oversized buffer for a base-sized one when the
// policy says so and the buffered bytes fit: for a pooled Reader whenever
// nothing is buffered (borrowing again is cheap), else after shrinkAfter
// small packets.
func (r *Reader) maybeShrink() {
	if r.bufs != nil {
		if r.start == r.end && len(r.buf) > r.base {
			r.Release()
		}
		return
	}
	if r.small < shrinkAfter || r.end-r.start > baseBufSize {
		return
	}
	nb := make([]byte, baseBufSize)
	r.end = copy(nb, r.buf[r.start:r.end])
	r.start = 0
	r.buf = nb
	r.small = 0
}
