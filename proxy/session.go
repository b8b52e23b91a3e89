package proxy

import (
	"context"
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"go.uber.org/zap"
)

// Upstream carries an authenticated client's MTProto stream to Telegram.
// The implementations are proxy/direct and proxy/middle.
type Upstream interface {
	// Serve relays s until either side ends or ctx is done. It returns
	// nil at a clean end, [ErrIdle] when the client carried no traffic for
	// the upstream's idle timeout, else the error that ended it (logged by
	// the engine). It may close s.Client to unblock a read; the engine
	// closes it in any case once Serve returns.
	Serve(ctx context.Context, s *Session) error
}

// Session is one authenticated client, as handed to an Upstream: what the
// upstreams read, nothing more. The client's identity for logs and metrics
// (connection id, secret, protocol, traffic) stays with the engine, which
// binds it to Logger and counts the bytes itself.
type Session struct {
	// Transport is the MTProto framing inside the stream.
	Transport framing.Transport
	// AdTag is the user's own ad tag for middle mode (Options.Users), or
	// nil: the middle layer's own.
	AdTag *[16]byte
	// DC is the DC id from the client's header (negative: media; 0: default).
	DC int
	// Client reads and writes the client's plaintext MTProto stream, or
	// relays it (see ClientConn.RelayTo).
	Client *ClientConn
	// Remote and Local are the client's address and the address it reached,
	// IPv4-mapped addresses unmapped.
	Remote, Local netip.AddrPort
	// Logger is bound to this connection's scope (connection id, trace,
	// secret label, DC, transport).
	Logger *zap.Logger
}

// UpstreamConnected tells the engine a connection to Telegram now carries
// the client: a DC was dialled, or its first packet went to a middle
// proxy. Upstreams call it once; the client's funnel moves on.
func (s *Session) UpstreamConnected() {
	if s.Client != nil && s.Client.prog != nil {
		s.Client.prog.reach(StageUpstreamConnected)
	}
}
