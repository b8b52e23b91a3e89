package proxy

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/unauth"
)

// Observer receives what the engine does. Implementations must be safe for
// concurrent use and cheap: they are called on connection and handshake
// boundaries, never per read. Per-read accounting goes through the [*Traffic]
// counters an Observer hands out once per connection.
type Observer interface {
	// ClientAccepted is called for every accepted TCP connection before any byte is read.
	ClientAccepted()
	// ClientRejected is called when a connection is closed without a handshake
	// for a reason that is not the client's fault or doing.
	ClientRejected(reason RejectReason)
	// Handshake reports the end of a client handshake. ctx carries the
	// connection's span, so an implementation can attach exemplars.
	Handshake(ctx context.Context, ev HandshakeEvent)
	// ClientStage reports a connection reaching a stage of the client
	// funnel, once per stage and in stage order, from StageFirstByte on
	// (StageAccepted is ClientAccepted).
	ClientStage(ev StageEvent)
	// Fronting reports a finished domain-fronting splice.
	Fronting(ev FrontingEvent)
	// Traffic returns the counters the relay adds to for a client of the given
	// secret index talking to the given DC. It is called once per connection,
	// after the handshake; the returned pointer must stay valid for the
	// process lifetime.
	Traffic(secret int, dc int) *Traffic
	// ClientClosed is called once for every accepted connection, when it ends.
	ClientClosed(ev CloseEvent)
}

// Traffic is a pair of byte counters the relay adds to after every read. The
// padding keeps neighbouring counters of an array on separate cache lines.
type Traffic struct {
	// FromClient counts bytes read from clients (on the wire, TLS framing included).
	FromClient atomic.Uint64
	// ToClient counts bytes written to clients (on the wire).
	ToClient atomic.Uint64
	_        [48]byte
}

// RejectReason says why a connection was closed before its handshake.
type RejectReason uint8

// Reject reasons: a closed set, used as a metric label.
const (
	RejectLimit    RejectReason = iota // the connection limit was reached
	RejectShutdown                     // the proxy is shutting down
	numRejectReasons
)

// NumRejectReasons is the size of the RejectReason set.
const NumRejectReasons = int(numRejectReasons)

var rejectReasonNames = [...]string{RejectLimit: "limit", RejectShutdown: "shutdown"}

// One name per RejectReason: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(rejectReasonNames)-int(numRejectReasons)]

// String returns the RejectReason's name.
func (r RejectReason) String() string { return enum.Name(rejectReasonNames[:], r) }

// Protocol is what a client spoke on the wire, as far as the handshake got.
type Protocol uint8

// Client protocols: a closed set, used as a metric label ("transport").
const (
	ProtoUnknown      Protocol = iota // the handshake failed before the transport was known
	ProtoAbridged                     // obfuscated2, abridged framing
	ProtoIntermediate                 // obfuscated2, intermediate framing
	ProtoPadded                       // obfuscated2, padded intermediate ("dd")
	ProtoFakeTLS                      // FakeTLS wrapping padded intermediate ("ee")
	numProtocols
)

// NumProtocols is the size of the Protocol set.
const NumProtocols = int(numProtocols)

var protocolNames = [...]string{
	ProtoUnknown:      "unknown",
	ProtoAbridged:     "abridged",
	ProtoIntermediate: "intermediate",
	ProtoPadded:       "padded",
	ProtoFakeTLS:      "faketls",
}

// One name per Protocol: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(protocolNames)-int(numProtocols)]

// String returns the Protocol's name.
func (p Protocol) String() string { return enum.Name(protocolNames[:], p) }

// HandshakeResult is how a client handshake ended: a closed set, used as a
// metric label.
type HandshakeResult uint8

// Handshake results.
const (
	HandshakeOK             HandshakeResult = iota // authenticated
	HandshakeBadSecret                             // no secret matches (obfuscated2 tag or TLS digest), or bytes no client starts with
	HandshakeBadSNI                                // a ClientHello for another server name than TLS_DOMAIN
	HandshakeReplay                                // a replayed ClientHello random or obfuscated2 header
	HandshakeStaleTimestamp                        // FakeTLS timestamp outside the window
	HandshakeNotTLS                                // non-TLS bytes while only FakeTLS is accepted
	HandshakeBadTLS                                // TLS bytes that are not a usable ClientHello
	HandshakeTimeout                               // the client was too slow: HandshakeTimeout passed
	HandshakeClosed                                // the client went away (or half-closed) or the read failed
	HandshakeUserRefused                           // a user's secret, but the user may not connect now (Options.Users)
	numHandshakeResults
)

// NumHandshakeResults is the size of the HandshakeResult set.
const NumHandshakeResults = int(numHandshakeResults)

var handshakeResultNames = [...]string{
	HandshakeOK:             "ok",
	HandshakeBadSecret:      "bad_secret",
	HandshakeBadSNI:         "bad_sni",
	HandshakeReplay:         "replay",
	HandshakeStaleTimestamp: "stale_timestamp",
	HandshakeNotTLS:         "not_tls",
	HandshakeBadTLS:         "bad_tls",
	HandshakeTimeout:        "timeout",
	HandshakeClosed:         "closed",
	HandshakeUserRefused:    "user_refused",
}

// One name per HandshakeResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(handshakeResultNames)-int(numHandshakeResults)]

// String returns the HandshakeResult's name.
func (r HandshakeResult) String() string { return enum.Name(handshakeResultNames[:], r) }

// Frontable reports whether a handshake failing this way may be spliced
// to the fronting host (or drained without one): every failure, since a
// prober must see the real site whatever it sent. A closed handshake is
// fronted only when the client sent bytes and half-closed (it still reads
// an answer), a timed-out one with the bytes it sent, so that the site's
// own timing shows rather than the proxy's; nothing is fronted once the
// proxy has answered.
func (r HandshakeResult) Frontable() bool { return r != HandshakeOK && r < numHandshakeResults }

// HandshakeEvent describes a finished client handshake.
type HandshakeEvent struct {
	Protocol Protocol
	Result   HandshakeResult
	// JA4 is the fingerprint of the FakeTLS ClientHello, authenticated or
	// not; zero when no ClientHello was read.
	JA4 faketls.JA4
	// Secret is the index of the matching secret, or -1 (always with
	// Options.Users, whose users are counted by their own registry).
	Secret int
	// DC is the DC id the client asked for (0 when unknown).
	DC       int
	Duration time.Duration
}

// FrontingResult says how a fronting splice ended: a closed set.
type FrontingResult uint8

// Fronting results.
const (
	FrontingDone       FrontingResult = iota // spliced until one side closed
	FrontingDialFailed                       // the fronting host was unreachable
	FrontingLimit                            // the byte, idle or lifetime bound cut it
	FrontingDrained                          // no fronting host: the client was drained silently
	FrontingLoop                             // the connection carried our own fronted bytes back: dropped
	FrontingDropped                          // an unknown server name, closed at once (UnknownSNI drop)
	FrontingAlert                            // an unknown server name, refused with an alert (UnknownSNI reject)
	FrontingEvicted                          // closed to make room for a newer unauthenticated connection
	numFrontingResults
)

// NumFrontingResults is the size of the FrontingResult set.
const NumFrontingResults = int(numFrontingResults)

var frontingResultNames = [...]string{
	FrontingDone:       "done",
	FrontingDialFailed: "dial_failed",
	FrontingLimit:      "limit",
	FrontingDrained:    "drained",
	FrontingLoop:       "loop",
	FrontingDropped:    "dropped",
	FrontingAlert:      "alert",
	FrontingEvicted:    "evicted",
}

// One name per FrontingResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(frontingResultNames)-int(numFrontingResults)]

// String returns the FrontingResult's name.
func (r FrontingResult) String() string { return enum.Name(frontingResultNames[:], r) }

// FrontingEvent describes what became of a failed handshake: a finished
// fronting splice, a silent drain, or a refusal.
type FrontingEvent struct {
	// Reason is the handshake failure that caused it.
	Reason   HandshakeResult
	Result   FrontingResult
	Duration time.Duration
	// BytesIn counts bytes from the prober (including the replayed ones); BytesOut bytes back to it.
	BytesIn, BytesOut int64
}

// CloseEvent describes a client connection that ended.
type CloseEvent struct {
	Protocol Protocol
	// Secret is the index of the secret it authenticated with, or -1.
	Secret int
	// DC is the DC id it was relayed to, or 0.
	DC int
	// Authenticated is true when the handshake succeeded.
	Authenticated bool
	// Stage is the furthest stage of the funnel the connection reached:
	// where it stalled.
	Stage Stage
	// Evicted is set for an unauthenticated connection closed to make room
	// for a newer one, and says which limit it was.
	Evicted  bool
	Eviction Eviction
	Duration time.Duration
	BytesIn  int64
	BytesOut int64
}

// Eviction says which limit an unauthenticated connection was closed for:
// a closed set, used as a metric label.
type Eviction = unauth.Reason

// Evictions.
const (
	EvictionLimit = unauth.ReasonTotal // MaxUnauth was reached
	EvictionPerIP = unauth.ReasonPerIP // MaxUnauthPerIP was reached for its source
)

// NumEvictions is the size of the Eviction set.
const NumEvictions = unauth.NumReasons

// NopObserver ignores everything; it is the default Observer.
type NopObserver struct{}

func (NopObserver) ClientAccepted()                           {}
func (NopObserver) ClientRejected(RejectReason)               {}
func (NopObserver) Handshake(context.Context, HandshakeEvent) {}
func (NopObserver) ClientStage(StageEvent)                    {}
func (NopObserver) Fronting(FrontingEvent)                    {}
func (NopObserver) Traffic(int, int) *Traffic                 { return new(Traffic) }
func (NopObserver) ClientClosed(CloseEvent)                   {}
