package dcprobe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
)

// sniffLen is how many of the first bytes an RPC probe keeps for Sniff.
const sniffLen = 16

// RPC is the middle-mode Method: the middle-proxy RPC handshake, through
// proxy/middle's one implementation. A middle proxy is up when the
// handshake completes. RTT is the first round trip: RPC_NONCE sent to the
// first byte of the answer.
type RPC struct {
	// Dialer dials the address. Default: a dc.Dialer with Timeout.
	Dialer *dc.Dialer
	// Timeout bounds the connect (unless Dialer says otherwise) and then
	// the handshake. Default: DefaultTimeout (5s).
	Timeout time.Duration
	// Params gives the handshake's inputs for a connection from local to
	// server (the proxy secret, our public address). Required; an error
	// (no proxy secret yet) fails the probe without a verdict on the peer.
	Params func(server, local netip.AddrPort) (middle.HandshakeParams, error)
}

// Probe runs one handshake with addr.
func (r *RPC) Probe(ctx context.Context, _ int, addr netip.AddrPort) Outcome {
	timeout := r.Timeout
	defaults.SetPositive(&timeout, DefaultTimeout)
	out := Outcome{Addr: addr, Timeout: timeout}
	nc, ok := dial(ctx, r.Dialer, timeout, addr, &out)
	if !ok {
		return out
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	p, err := r.Params(addr, netx.AddrPort(nc.LocalAddr()))
	if err != nil {
		out.Result, out.Err = dc.Failed, err
		return out
	}
	start := time.Now()
	_ = nc.SetDeadline(start.Add(timeout))
	s := &sniffer{Conn: nc}
	_, _, _, err = middle.Handshake(s, s, p)
	switch {
	case ctx.Err() != nil:
		out.Result, out.Err = dc.Failed, ctx.Err()
	case err == nil:
		out.Result, out.RTT = dc.OK, s.first.Sub(start)
	default:
		out.Result, out.Err = rpcResult(err, len(s.got)), err
		if out.Result == dc.NotMTProto {
			out.Answer = Sniff(s.got, s.sent)
		}
	}
	return out
}

// rpcResult classes a failed handshake, given how many bytes came back.
func rpcResult(err error, got int) dc.Result {
	var he *middle.HandshakeError
	if !errors.As(err, &he) {
		return dc.Failed
	}
	switch he.Result {
	case middle.HandshakeTimeout:
		if got > 0 {
			return dc.NotMTProto // bytes came, but never a whole frame
		}
		return dc.NoAnswer
	case middle.HandshakeClosedBeforeNonce:
		if got > 0 {
			return dc.NotMTProto
		}
		return dc.Reset
	case middle.HandshakeProtocolError, middle.HandshakeBadNonce:
		return dc.NotMTProto
	}
	// The middle proxy answered and refused us (keys, clock, secret):
	// it is Telegram, and the reason is ours to fix.
	return dc.Failed
}

// sniffer keeps the first bytes written and read, and when the first
// byte arrived.
type sniffer struct {
	net.Conn
	got, sent []byte
	first     time.Time
}

func (s *sniffer) Write(p []byte) (int, error) {
	if k := min(len(p), sniffLen-len(s.sent)); k > 0 {
		s.sent = append(s.sent, p[:k]...)
	}
	return s.Conn.Write(p)
}

func (s *sniffer) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if n > 0 {
		if s.first.IsZero() {
			s.first = time.Now()
		}
		if k := min(n, sniffLen-len(s.got)); k > 0 {
			s.got = append(s.got, p[:k]...)
		}
	}
	return n, err
}
