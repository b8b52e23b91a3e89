package proxy

import (
	"context"
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"go.uber.org/zap"
)

// Upstream carries an authenticated client's MTProto stream to Telegram.
type Upstream interface {
	// Serve relays s until either side ends or ctx is done, and closes
	// nothing it did not open: the engine closes the client connection.
	Serve(ctx context.Context, s *Session) error
}

// Session is one authenticated client, as handed to an Upstream.
type Session struct {
	// ID identifies the connection in logs and traces.
	ID uint64
	// Protocol is what the client spoke (obfuscated2 or FakeTLS).
	Protocol Protocol
	// Transport is the MTProto framing inside the stream.
	Transport framing.Transport
	// Secret is the index of the secret the client authenticated with.
	Secret int
	// DC is the DC id from the client's header (negative: media; 0: default).
	DC int
	// Client reads and writes the client's plaintext MTProto stream.
	Client *ClientConn
	// Remote and Local are the client's address and the address it reached.
	Remote, Local netip.AddrPort
	// Logger is bound to this connection's scope.
	Logger *zap.Logger
	// Traffic are the counters of this client's bytes.
	Traffic *Traffic
}
