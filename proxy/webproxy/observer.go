package webproxy

import "github.com/mtproxy/mtproxy/internal/enum"

// Observer receives what the carrier does. Implementations must be safe
// for concurrent use and cheap: they are called per request and per
// stream, never per frame.
type Observer interface {
	// SessionOpened and SessionClosed bracket every session.
	SessionOpened()
	SessionClosed()
	// Stream reports an OPEN: served, or refused and why.
	Stream(r StreamResult)
	// CarrierBytes counts bytes of frames carried: up bodies and socket
	// messages from the client, down bodies and messages to it.
	CarrierBytes(d Direction, n int)
	// PageServed counts bridge pages served.
	PageServed()
	// SiteFallback counts requests handed to the public site, by reason.
	SiteFallback(r FallbackReason)
	// LimitHit counts refusals at a limit.
	LimitHit(l Limit)
}

// StreamResult is what became of an OPEN: a closed set, used as a label.
type StreamResult uint8

// The stream results.
const (
	StreamServed        StreamResult = iota // handed to the engine
	StreamRefused                           // over a carrier limit: CLOSE sent
	StreamEngineRefused                     // the engine refused it (its connection limit, shutdown, an unknown secret)
	numStreamResults
)

// NumStreamResults is the size of the StreamResult set.
const NumStreamResults = int(numStreamResults)

var streamResultNames = [...]string{
	StreamServed:        "served",
	StreamRefused:       "refused",
	StreamEngineRefused: "engine_refused",
}

// One name per StreamResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(streamResultNames)-int(numStreamResults)]

func (r StreamResult) String() string { return enum.Name(streamResultNames[:], r) }

// Direction of carried bytes.
type Direction uint8

// The directions.
const (
	FromClient Direction = iota
	ToClient
	numDirections
)

// NumDirections is the size of the Direction set.
const NumDirections = int(numDirections)

var directionNames = [...]string{FromClient: "from_client", ToClient: "to_client"}

// One name per Direction: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(directionNames)-int(numDirections)]

func (d Direction) String() string { return enum.Name(directionNames[:], d) }

// FallbackReason says why a request went to the public site.
type FallbackReason uint8

// The fallback reasons.
const (
	FallbackPath       FallbackReason = iota // not a path of the relay
	FallbackCapability                       // the page's path without an authentic capability
	FallbackToken                            // an API path without an authentic token
	numFallbackReasons
)

// NumFallbackReasons is the size of the FallbackReason set.
const NumFallbackReasons = int(numFallbackReasons)

var fallbackReasonNames = [...]string{
	FallbackPath:       "path",
	FallbackCapability: "capability",
	FallbackToken:      "token",
}

// One name per FallbackReason: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(fallbackReasonNames)-int(numFallbackReasons)]

func (r FallbackReason) String() string { return enum.Name(fallbackReasonNames[:], r) }

// Limit names a bound the carrier refused something at.
type Limit uint8

// The limits.
const (
	LimitSessions       Limit = iota // MaxSessions: 503 to a session creation
	LimitSessionStreams              // MaxStreamsPerSession: CLOSE to an OPEN
	LimitStreams                     // MaxStreams: CLOSE to an OPEN
	LimitSessionPending              // MaxSessionPending: 503 to an up body, or a wait
	LimitPending                     // MaxPending: the same, for all sessions
	LimitBootstraps                  // MaxBootstraps: the oldest token dropped
	numLimits
)

// NumLimits is the size of the Limit set.
const NumLimits = int(numLimits)

var limitNames = [...]string{
	LimitSessions:       "sessions",
	LimitSessionStreams: "session_streams",
	LimitStreams:        "streams",
	LimitSessionPending: "session_pending",
	LimitPending:        "pending",
	LimitBootstraps:     "bootstraps",
}

// One name per Limit: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(limitNames)-int(numLimits)]

func (l Limit) String() string { return enum.Name(limitNames[:], l) }

// NopObserver ignores everything; it is the default Observer.
type NopObserver struct{}

func (NopObserver) SessionOpened()              {}
func (NopObserver) SessionClosed()              {}
func (NopObserver) Stream(StreamResult)         {}
func (NopObserver) CarrierBytes(Direction, int) {}
func (NopObserver) PageServed()                 {}
func (NopObserver) SiteFallback(FallbackReason) {}
func (NopObserver) LimitHit(Limit)              {}
