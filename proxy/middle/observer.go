package middle

import (
	"context"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// Observer receives the middle-proxy layer's boundary events: RPC
// connection attempts and closes, refreshes of Telegram's files, and the
// Date headers of their HTTP responses. Per-packet accounting is not
// reported here: it is kept in atomic counters read through
// [Middle.Stats] (pull model).
//
// Implementations must be safe for concurrent use and cheap; they are
// called from the pool's and the refresher's goroutines, never from a
// client's hot path. Metrics should pre-create every label value from the
// closed sets below (NumHandshakeResults, NumCloseReasons,
// NumRefreshResults, NumFiles) so every series exists at zero.
type Observer interface {
	// Handshake reports one RPC connection attempt to a middle proxy,
	// from the TCP dial to the end of the RPC handshake. ctx carries the
	// attempt's "mtproxy.middle.handshake" span, for exemplars.
	Handshake(ctx context.Context, ev HandshakeEvent)
	// ConnClosed reports the end of an RPC connection that had completed
	// its handshake.
	ConnClosed(ev CloseEvent)
	// Refresh reports one load of one of Telegram's files, at start-up
	// or in a refresh.
	Refresh(ev RefreshEvent)
	// HTTPDate hands over the Date header of every HTTP response received
	// while fetching Telegram's files, with the local times the request
	// was sent and its response headers arrived, for a clock-skew
	// estimate (clockskew.FromHTTPDate). Header is "" when the response
	// had none.
	HTTPDate(ev DateEvent)
}

// HandshakeResult is how one RPC connection attempt ended: a closed set,
// used as a metric label.
type HandshakeResult uint8

// Handshake results.
const (
	// HandshakeOK: the connection is ready to carry client packets.
	HandshakeOK HandshakeResult = iota
	// HandshakeDialFailed: the TCP connection could not be established
	// (the event's Dial says how).
	HandshakeDialFailed
	// HandshakeTimeout: the middle proxy did not complete the handshake
	// within HandshakeTimeout.
	HandshakeTimeout
	// HandshakeClosedBeforeNonce: the middle proxy closed or reset the
	// connection without answering our RPC_NONCE: typically a proxy
	// secret (key selector) it does not know, or our clock far off.
	HandshakeClosedBeforeNonce
	// HandshakeClosedAfterNonce: the nonces were exchanged, then the
	// middle proxy closed the connection instead of answering our
	// encrypted RPC_HANDSHAKE. It could not decrypt it: the keys differ,
	// most often because the address it sees (our public IP) is not the
	// one we derived the keys with (IP / INTERNAL_IP / --nat-info), or
	// because the proxy secret is stale.
	HandshakeClosedAfterNonce
	// HandshakeBadCrypto: the middle proxy's first encrypted frame does
	// not decrypt to a valid frame (CRC or length): same causes as
	// HandshakeClosedAfterNonce, seen from our side.
	HandshakeBadCrypto
	// HandshakeRefused: the middle proxy answered RPC_HANDSHAKE_ERROR.
	HandshakeRefused
	// HandshakeClockSkew: the middle proxy's RPC_NONCE time is more than
	// 30 s from ours; middle proxies refuse such peers.
	HandshakeClockSkew
	// HandshakeBadNonce: the middle proxy's RPC_NONCE is malformed, names
	// another crypto schema or another proxy secret.
	HandshakeBadNonce
	// HandshakeProtocolError: anything else the middle proxy sent that is
	// not the protocol (garbage, wrong message, a handshake that does not
	// echo our process id).
	HandshakeProtocolError
	// HandshakeLocalError: we could not even try: no usable local or
	// public address for the key derivation, no proxy secret, a failed
	// write, or shutdown during the attempt.
	HandshakeLocalError
	numHandshakeResults
)

// NumHandshakeResults is the size of the HandshakeResult set.
const NumHandshakeResults = int(numHandshakeResults)

var handshakeResultNames = [...]string{
	HandshakeOK:                "ok",
	HandshakeDialFailed:        "dial_failed",
	HandshakeTimeout:           "timeout",
	HandshakeClosedBeforeNonce: "closed_before_nonce",
	HandshakeClosedAfterNonce:  "closed_after_nonce",
	HandshakeBadCrypto:         "bad_crypto",
	HandshakeRefused:           "refused",
	HandshakeClockSkew:         "clock_skew",
	HandshakeBadNonce:          "bad_nonce",
	HandshakeProtocolError:     "protocol_error",
	HandshakeLocalError:        "local_error",
}

// One name per HandshakeResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(handshakeResultNames)-int(numHandshakeResults)]

// String returns the HandshakeResult's name.
func (r HandshakeResult) String() string { return enum.Name(handshakeResultNames[:], r) }

// KeyMismatch reports whether the result is what a wrong address in the
// key derivation (a missing or wrong NAT mapping) or a stale proxy secret
// looks like.
func (r HandshakeResult) KeyMismatch() bool {
	return r == HandshakeClosedAfterNonce || r == HandshakeBadCrypto
}

// HandshakeEvent describes one RPC connection attempt.
type HandshakeEvent struct {
	// DC is the first DC the config lists the target for (a middle proxy
	// may serve several, e.g. 2 and -2).
	DC int
	// Target is the middle proxy's address.
	Target netip.AddrPort
	Result HandshakeResult
	// Dial is the TCP dial's result (dc.OK unless Result is
	// HandshakeDialFailed).
	Dial dc.Result
	// Checksum is the frame CRC negotiated (meaningful when Result is OK).
	Checksum rpc.Checksum
	// Duration runs from the start of the dial to the end of the handshake.
	Duration time.Duration
	// Err is the cause when Result is not OK; it never holds secrets.
	Err error
}

// CloseReason says why a ready RPC connection ended: a closed set, used as
// a metric label.
type CloseReason uint8

// Close reasons.
const (
	// ClosePeer: the middle proxy closed the connection.
	ClosePeer CloseReason = iota
	// CloseReadError: reading failed (reset, network error).
	CloseReadError
	// CloseWriteError: writing failed.
	CloseWriteError
	// CloseWriteTimeout: a write did not complete within WriteTimeout: the
	// middle proxy stopped reading.
	CloseWriteTimeout
	// ClosePingTimeout: nothing was read for PingTimeout, our RPC_PING
	// included.
	ClosePingTimeout
	// CloseProtocolError: a bad frame (length, CRC, sequence) or message.
	CloseProtocolError
	// CloseRetired: the target left the config and its last client left.
	CloseRetired
	// CloseShutdown: the middle layer was closed.
	CloseShutdown
	numCloseReasons
)

// NumCloseReasons is the size of the CloseReason set.
const NumCloseReasons = int(numCloseReasons)

var closeReasonNames = [...]string{
	ClosePeer:          "peer_closed",
	CloseReadError:     "read_error",
	CloseWriteError:    "write_error",
	CloseWriteTimeout:  "write_timeout",
	ClosePingTimeout:   "ping_timeout",
	CloseProtocolError: "protocol_error",
	CloseRetired:       "retired",
	CloseShutdown:      "shutdown",
}

// One name per CloseReason: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(closeReasonNames)-int(numCloseReasons)]

// String returns the CloseReason's name.
func (r CloseReason) String() string { return enum.Name(closeReasonNames[:], r) }

// CloseEvent describes a ready RPC connection that ended.
type CloseEvent struct {
	DC     int
	Target netip.AddrPort
	Reason CloseReason
	// Lifetime runs from the end of the handshake to the close.
	Lifetime time.Duration
	// Clients is the number of client connections it carried when it
	// ended; each of them is closed.
	Clients int
	Err     error
}

// File names one of Telegram's two files: a closed set, used as a metric
// label.
type File uint8

// Telegram's files.
const (
	// FileSecret is getProxySecret, the proxy secret.
	FileSecret File = iota
	// FileConfig is getProxyConfig (or getProxyConfigV6), the list of
	// middle proxies.
	FileConfig
	numFiles
)

// NumFiles is the size of the File set.
const NumFiles = int(numFiles)

var fileNames = [...]string{FileSecret: "secret", FileConfig: "config"}

// One name per File: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(fileNames)-int(numFiles)]

// String returns the File's name.
func (f File) String() string { return enum.Name(fileNames[:], f) }

// RefreshResult is how one load of a file ended: a closed set, used as a
// metric label.
type RefreshResult uint8

// Refresh results.
const (
	// RefreshOK: a new version was fetched, validated and put in use.
	RefreshOK RefreshResult = iota
	// RefreshUnchanged: the fetched file is the one in use.
	RefreshUnchanged
	// RefreshFetchFailed: the download failed (network, HTTP status, size).
	RefreshFetchFailed
	// RefreshParseError: the file does not parse.
	RefreshParseError
	// RefreshRejected: the file parses but is not fit to replace the one
	// in use (no middle proxies, no default DC, far fewer DCs).
	RefreshRejected
	numRefreshResults
)

// NumRefreshResults is the size of the RefreshResult set.
const NumRefreshResults = int(numRefreshResults)

var refreshResultNames = [...]string{
	RefreshOK:          "ok",
	RefreshUnchanged:   "unchanged",
	RefreshFetchFailed: "fetch_failed",
	RefreshParseError:  "parse_error",
	RefreshRejected:    "rejected",
}

// One name per RefreshResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(refreshResultNames)-int(numRefreshResults)]

// String returns the RefreshResult's name.
func (r RefreshResult) String() string { return enum.Name(refreshResultNames[:], r) }

// Source says where a file in use came from.
type Source uint8

// Sources.
const (
	// SourceNone: nothing loaded yet.
	SourceNone Source = iota
	// SourceFetched: downloaded from its URL.
	SourceFetched
	// SourceCache: read from its cache file because the download failed.
	SourceCache
	numSources
)

var sourceNames = [...]string{SourceNone: "none", SourceFetched: "fetched", SourceCache: "cache"}

// One name per Source: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(sourceNames)-int(numSources)]

// String returns the Source's name.
func (s Source) String() string { return enum.Name(sourceNames[:], s) }

// RefreshEvent describes one load of one file.
type RefreshEvent struct {
	File   File
	Result RefreshResult
	// Startup is true for the initial load, false for refreshes.
	Startup bool
	// Source is where the file in use now comes from.
	Source   Source
	Duration time.Duration
	// Err is the cause when Result is not OK or Unchanged.
	Err error
}

// DateEvent is one HTTP response's Date header.
type DateEvent struct {
	File   File
	Header string
	// Sent is when the request was sent; Received when the response
	// headers arrived (both from the local clock).
	Sent, Received time.Time
}

// NopObserver ignores everything; it is the default Observer.
type NopObserver struct{}

func (NopObserver) Handshake(context.Context, HandshakeEvent) {}
func (NopObserver) ConnClosed(CloseEvent)                     {}
func (NopObserver) Refresh(RefreshEvent)                      {}
func (NopObserver) HTTPDate(DateEvent)                        {}
