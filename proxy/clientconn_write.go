package proxy

// The writing side of ClientConn: encryption into a pooled buffer, FakeTLS
// records and their sizing, the writes that never wait (TryWrite) and
// what they leave for Flush, and the accounting of every byte sent.

import (
	"math"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// Write encrypts p (which it leaves untouched) and sends it to the client,
// after what an earlier TryWrite left.
func (c *ClientConn) Write(p []byte) (int, error) {
	if err := c.Flush(); err != nil {
		return 0, err
	}
	if err := c.paceOut(); err != nil {
		return 0, err
	}
	buf, size := c.writeBuffer(len(p))
	defer c.bufs.put(buf)
	written := 0
	for len(p) > 0 {
		n := min(len(p), size)
		c.enc.XORKeyStream((*buf)[headroom:headroom+n], p[:n]) // the copy and the encryption in one pass
		if err := c.sendOwned(*buf, n); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// writeBuffer lends the buffer of a write of n plaintext bytes and the
// most it carries per write (at headroom): a plain buffer's chunk, or for
// an obfuscated2 client's write larger than that, a bulk buffer (a plain
// one when all are lent), so that an answer of a full buffer plus its
// transport header is one write, not two. FakeTLS clients keep one write
// per record.
func (c *ClientConn) writeBuffer(n int) (buf *[]byte, size int) {
	if n > c.chunk && !c.tls {
		buf = c.bufs.getBulk()
		return buf, len(*buf) - headroom
	}
	return c.bufs.get(), c.chunk
}

// writeOwned encrypts buf[headroom:headroom+n] in place and sends it, with a
// TLS record header written into the headroom for FakeTLS clients, whose
// n must not exceed c.chunk. While the first records are kept small (see
// recordSizing) the payload goes out as several records, one write each:
// the header of each next record overwrites the last bytes of the one just
// sent, so nothing is copied.
func (c *ClientConn) writeOwned(buf []byte, n int) error {
	payload := buf[headroom : headroom+n]
	c.enc.XORKeyStream(payload, payload)
	return c.sendOwned(buf, n)
}

// sendOwned is writeOwned for a payload encrypted already.
func (c *ClientConn) sendOwned(buf []byte, n int) error {
	payload := buf[headroom : headroom+n]
	if !c.tls {
		return c.send(payload)
	}
	for at := headroom; ; {
		size := min(headroom+n-at, c.rec.limit(c.records, c.chunk))
		hdr := buf[at-faketls.RecordHeaderLen : at]
		faketls.PutRecordHeader(hdr, size)
		if c.records < int(c.rec.ramp) {
			c.records++
		}
		if err := c.send(buf[at-faketls.RecordHeaderLen : at+size]); err != nil {
			return err
		}
		if at += size; at == headroom+n {
			return nil
		}
	}
}

// TryWrite is Write for a writer that must never wait (the middle layer's
// RPC reader writing an answer itself, instead of waking a goroutine to
// write it). When p can go in one write (a raw socket, no pause of the
// user's rate limit due, nothing pending, and p within one buffer, or
// within the next TLS record for a FakeTLS client) it encrypts p and
// writes what the socket takes at once; the rest stays in the connection,
// encrypted, for Flush or the next Write, and Pending reports it. taken
// false means p was not touched: the caller writes it with Write. A
// taken p counts as written, for the traffic figures and the user's
// quota.
func (c *ClientConn) TryWrite(p []byte) (taken bool, err error) {
	return c.TryWriteFramed(nil, p, nil)
}

// TryWriteFramed is TryWrite of head, body and tail written one after the
// other (a transport header, a packet and its padding), which it copies
// only into its own buffer, encrypting them on the way.
func (c *ClientConn) TryWriteFramed(head, body, tail []byte) (taken bool, err error) {
	n := len(head) + len(body) + len(tail)
	if !c.raw || c.waitOut > 0 || c.pend != nil || n == 0 {
		return false, nil
	}
	if c.tls && n > c.rec.limit(c.records, c.chunk) {
		return false, nil
	}
	buf, size := c.writeBuffer(n)
	if size < n {
		c.bufs.put(buf)
		return false, nil
	}
	start, end := headroom, headroom+n
	at := start
	for _, part := range [3][]byte{head, body, tail} {
		c.enc.XORKeyStream((*buf)[at:at+len(part)], part)
		at += len(part)
	}
	if c.tls {
		start -= faketls.RecordHeaderLen
		faketls.PutRecordHeader((*buf)[start:headroom], n)
		if c.records < int(c.rec.ramp) {
			c.records++
		}
	}
	w, err := c.bufs.ops.TryWrite(c.rc, (*buf)[start:end])
	err = c.sent(end-start, err)
	if err == nil && w < end-start {
		c.pend, c.pendAt, c.pendEnd = buf, start+w, end
		return true, nil
	}
	c.bufs.put(buf)
	return true, err
}

// Pending reports whether bytes taken by TryWrite wait for Flush.
func (c *ClientConn) Pending() bool { return c.pend != nil }

// Flush writes what TryWrite left, waiting for the socket as Write does.
// The bytes are given up on an error.
func (c *ClientConn) Flush() error {
	buf := c.pend
	if buf == nil {
		return nil
	}
	_, err := c.write((*buf)[c.pendAt:c.pendEnd])
	c.pend = nil
	c.bufs.put(buf)
	return err
}

// send writes out, accounting for it.
func (c *ClientConn) send(out []byte) error {
	_, err := c.write(out)
	return c.sent(len(out), err)
}

// sent accounts for n bytes written (or taken) with the result err of
// their write, which it returns, or ErrQuota.
func (c *ClientConn) sent(n int, err error) error {
	c.out += int64(n)
	c.traffic.ToClient.Add(uint64(n))
	c.activity.Add(1)
	if !c.established && err == nil {
		c.progressed()
	}
	if !c.account(0, n) && err == nil {
		err = ErrQuota
	}
	return err
}

// progressed moves the funnel on after a write to the client: everything
// written after the handshake came from Telegram.
func (c *ClientConn) progressed() {
	if c.prog == nil {
		return
	}
	if !c.answered {
		c.answered = true
		c.prog.reach(StageUpstreamAnswered)
	}
	if c.out >= EstablishedBytes {
		c.established = true
		c.prog.reach(StageEstablished)
	}
}

// recordSizing is the dynamic record sizing of TLS servers: the first
// records after the handshake fit one TCP segment, and each next one may
// carry initial bytes more, until ramp records are out; then records are
// full.
type recordSizing struct {
	initial, ramp int32 // ramp 0: always full records
}

func newRecordSizing(initial, ramp int) recordSizing {
	if initial <= 0 || ramp <= 0 {
		return recordSizing{}
	}
	return recordSizing{initial: int32(min(initial, math.MaxInt32)), ramp: int32(min(ramp, math.MaxInt32))}
}

// limit is the payload of record number k (from 0), at most full.
func (r recordSizing) limit(k, full int) int {
	if k >= int(r.ramp) {
		return full
	}
	return min(full, int(r.initial)*(k+1))
}
