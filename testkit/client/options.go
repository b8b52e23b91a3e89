package client

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy/framing"
)

// Mode is how a client talks to the proxy.
type Mode int

// The client modes.
const (
	// Abridged: obfuscated2 with the abridged transport (tag ef).
	Abridged Mode = iota + 1
	// Intermediate: obfuscated2 with the intermediate transport (tag ee).
	Intermediate
	// Padded: obfuscated2 with padded intermediate (tag dd), as "dd" secrets
	// require.
	Padded
	// FakeTLS: an "ee" secret; obfuscated2 with padded intermediate inside
	// TLS-looking records.
	FakeTLS
	numModes
)

var modeNames = [...]string{
	Abridged:     "abridged",
	Intermediate: "intermediate",
	Padded:       "padded",
	FakeTLS:      "faketls",
}

// One name per Mode: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(modeNames)-int(numModes)]

// String names the mode.
func (m Mode) String() string { return enum.Name(modeNames[:], m) }

// Transport is the framing the mode uses inside the obfuscated2 stream.
func (m Mode) Transport() framing.Transport {
	switch m {
	case Abridged:
		return framing.Abridged
	case Intermediate:
		return framing.Intermediate
	case Padded, FakeTLS:
		return framing.Padded
	}
	return 0
}

// Errors returned by this package.
var (
	// ErrBadOptions means Options cannot describe a handshake.
	ErrBadOptions = errors.New("client: invalid options")
	// ErrServerFlight means the FakeTLS server flight was malformed or its
	// HMAC did not prove knowledge of the secret: the peer is not a proxy
	// with our secret (a fronting site answering, for instance).
	ErrServerFlight = errors.New("client: FakeTLS server flight rejected")
	// ErrNonce means a resPQ answered another nonce than ours.
	ErrNonce = errors.New("client: resPQ nonce mismatch")
)

// Options describe a client connection. Secret and Mode are required.
type Options struct {
	// Secret is the bare 16-byte secret (no dd/ee prefix, no domain).
	Secret [16]byte
	// Mode of the connection.
	Mode Mode
	// DC is written in the header: 1..5, negative for media DCs, 0 for the
	// proxy's default.
	DC int16
	// Transport overrides the tag put in the header (and the framing used);
	// 0 means the mode's. For attacks: FakeTLS with another tag than dd.
	Transport framing.Transport

	// Domain is the FakeTLS SNI; "" sends no server_name extension.
	Domain string
	// HelloSize pads the ClientHello handshake message (its 4-byte header
	// included, records excluded) to exactly this many bytes; 0 leaves the
	// natural size of the modern-client shape, 1.7-1.8 KB.
	HelloSize int
	// SplitHello lists offsets into the handshake message where a new TLS
	// record starts, as DPI-evasion tools fragment hellos.
	SplitHello []int
	// Timestamp hidden in the hello; zero means now. time.Unix(uptime, 0)
	// sends an uptime, as some clients do.
	Timestamp time.Time

	// Rand supplies every random byte. Default crypto/rand.
	Rand io.Reader
	// Record keeps every byte the connection writes, for [Conn.Written].
	Record bool
	// MaxPacket bounds packets read; 0 means framing.MaxPacketSize.
	MaxPacket int
	// Coalesce sends the obfuscated2 header (its TLS records for FakeTLS)
	// with the first packet or raw write, in one write, as Telegram's
	// clients do; without it the header goes out alone at the handshake.
	Coalesce bool
	// LocalAddr is the address Dial connects from, such as a loopback
	// alias (127.0.0.2) to look like another client. Default: the
	// system's choice.
	LocalAddr netip.Addr
}

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Mode < Abridged || o.Mode > FakeTLS {
		return o, fmt.Errorf("%w: mode %d", ErrBadOptions, o.Mode)
	}
	defaults.Set(&o.Transport, o.Mode.Transport())
	if !o.Transport.Valid() {
		return o, fmt.Errorf("%w: transport %v", ErrBadOptions, o.Transport)
	}
	defaults.Set(&o.Rand, rand.Reader)
	if o.Timestamp.IsZero() {
		o.Timestamp = time.Now()
	}
	return o, nil
}
