package dcprobe

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// DefaultTimeout bounds each step of an exchange (the connect, then the
// wait for the answer) when a Method's Timeout is zero.
const DefaultTimeout = 5 * time.Second

// maxResPQ bounds the resPQ packet we accept: Telegram's is 84 bytes
// (envelope, nonces, 8-byte pq, one to three fingerprints).
const maxResPQ = 512

// MTProto is the direct-mode Method: an obfuscated2 connection to the DC
// (intermediate framing, no secret), an unencrypted req_pq_multi with a
// fresh nonce, and a resPQ carrying that nonce back.
type MTProto struct {
	// Dialer dials the address. Default: a dc.Dialer with Timeout.
	Dialer *dc.Dialer
	// Timeout bounds the connect (unless Dialer says otherwise) and then
	// the wait for the answer. Default: DefaultTimeout (5s).
	Timeout time.Duration
	// Rand feeds the header and the nonce. Default crypto/rand.
	Rand io.Reader
	// Now gives the time for the msg_id. Default time.Now.
	Now func() time.Time
}

// Probe runs one exchange with addr, the DC id target going into the
// obfuscated2 header as in the proxy's own dials.
func (m *MTProto) Probe(ctx context.Context, target int, addr netip.AddrPort) Outcome {
	timeout := m.Timeout
	defaults.SetPositive(&timeout, DefaultTimeout)
	out := Outcome{Addr: addr, Timeout: timeout}
	nc, ok := dial(ctx, m.Dialer, timeout, addr, &out)
	if !ok {
		return out
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req, dec, nonce, err := m.request(target)
	if err != nil {
		out.Result, out.Err = dc.Failed, err
		return out
	}
	start := time.Now()
	_ = nc.SetDeadline(start.Add(timeout))
	if _, err := nc.Write(req); err != nil {
		out.Result, out.Err = afterConnect(err, 0), fmt.Errorf("sending req_pq_multi: %w", err)
		return out
	}
	got, plain, err := readAnswer(nc, dec)
	if ctx.Err() != nil {
		out.Result, out.Err = dc.Failed, ctx.Err()
		return out
	}
	if err != nil {
		out.Result, out.Err = afterConnect(err, len(got)), err
		if out.Result == dc.NotMTProto {
			out.Answer = Sniff(got, req)
		}
		return out
	}
	if err := checkResPQ(plain, nonce); err != nil {
		out.Result, out.Err, out.Answer = dc.NotMTProto, err, Sniff(got, req)
		return out
	}
	out.Result, out.RTT = dc.OK, time.Since(start)
	return out
}

// dial connects to addr, filling in out on failure.
func dial(ctx context.Context, d *dc.Dialer, timeout time.Duration, addr netip.AddrPort, out *Outcome) (net.Conn, bool) {
	if d == nil {
		d = &dc.Dialer{Timeout: timeout}
	}
	var at dc.Attempt
	nc, _, err := d.Dial(ctx, []netip.AddrPort{addr}, func(a dc.Attempt) { at = a })
	out.Connect = at.Duration
	if err != nil {
		out.Result, out.Err = dc.Classify(err), err
		if at.Addr == addr {
			out.Result, out.Err = at.Result, at.Err
		}
		return nil, false
	}
	return nc, true
}

// request builds the 64-byte header and the encrypted req_pq_multi packet
// behind it, and returns them with the stream that decrypts the answer
// and the nonce the answer must carry.
func (m *MTProto) request(target int) ([]byte, cipher.Stream, [16]byte, error) {
	rnd, now := m.Rand, m.Now
	defaults.Set(&rnd, rand.Reader)
	if now == nil {
		now = time.Now
	}
	var nonce [16]byte
	hdr, enc, dec, err := obfuscated2.Generate(rnd, nil, framing.Intermediate, int16(target))
	if err != nil {
		return nil, nil, nonce, err
	}
	if _, err := io.ReadFull(rnd, nonce[:]); err != nil {
		return nil, nil, nonce, fmt.Errorf("nonce: %w", err)
	}
	req := append(make([]byte, 0, obfuscated2.HeaderLen+4+mtproto.ReqPQMultiLen), hdr[:]...)
	req = binary.LittleEndian.AppendUint32(req, mtproto.ReqPQMultiLen)
	req = mtproto.AppendReqPQMulti(req, mtproto.MsgID(now(), mtproto.ClientMsg), nonce)
	enc.XORKeyStream(req[obfuscated2.HeaderLen:], req[obfuscated2.HeaderLen:])
	return req, dec, nonce, nil
}

// errNotFramed is an answer whose first packet length cannot be a resPQ's.
var errNotFramed = errors.New("the answer is not an intermediate-framed MTProto packet")

// readAnswer reads the first intermediate-framed packet of the answer.
// got is every byte received (for Sniff), plain the decrypted packet. It
// stops as soon as the length prefix shows the answer cannot be a resPQ.
func readAnswer(nc net.Conn, dec cipher.Stream) (got, plain []byte, err error) {
	buf := make([]byte, 0, 4+maxResPQ)
	dst := make([]byte, 0, 4+maxResPQ)
	need := 4
	for len(buf) < need {
		n, rerr := nc.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			dst = dst[:len(buf)+n]
			dec.XORKeyStream(dst[len(buf):], buf[len(buf):len(buf)+n])
			buf = buf[:len(buf)+n]
			if need == 4 && len(buf) >= 4 {
				l := int(binary.LittleEndian.Uint32(dst))
				if l < mtproto.PlainHeaderLen+4 || l > maxResPQ || l%4 != 0 {
					return buf, nil, errNotFramed
				}
				need = 4 + l
			}
		}
		if rerr != nil && len(buf) < need {
			return buf, nil, rerr
		}
	}
	return buf, dst[4:need], nil
}

// checkResPQ checks that pkt is a resPQ for our nonce.
func checkResPQ(pkt []byte, nonce [16]byte) error {
	_, r, err := mtproto.ParseResPQ(pkt)
	if err != nil {
		return err
	}
	if r.Nonce != nonce {
		return errors.New("a resPQ for another nonce")
	}
	return nil
}

// afterConnect classifies the end of an exchange whose TCP connection was
// up, given how many bytes had come back.
func afterConnect(err error, got int) dc.Result {
	if got > 0 || errors.Is(err, errNotFramed) {
		return dc.NotMTProto
	}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), dc.Classify(err) == dc.Reset:
		return dc.Reset
	case errors.As(err, &ne) && ne.Timeout():
		return dc.NoAnswer
	}
	return dc.Failed
}
