package fakedc

import (
	"crypto/rand"
	"io"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
)

// Mode chooses what a connection's stream carries after its header.
type Mode int

const (
	// Packets parses the transport framing named by the header's tag:
	// req_pq_multi is answered with a resPQ, req_DH_params is recorded, a
	// bulk request starts a transfer, and any other packet is echoed back.
	Packets Mode = iota
	// Raw relays bytes without framing: the decrypted stream is echoed,
	// re-encrypted, unless it starts with a bulk request. For throughput
	// tests and the load generator.
	Raw
	numModes
)

var modeNames = [...]string{Packets: "packets", Raw: "raw"}

// One name per Mode: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(modeNames)-int(numModes)]

// String names the mode.
func (m Mode) String() string { return enum.Name(modeNames[:], m) }

// Default values of Options fields left zero.
const (
	DefaultHeaderTimeout = 10 * time.Second
	DefaultListenAddr    = "127.0.0.1:0"
)

// Options configure a DC. The zero value is a loopback DC in Packets mode
// that answers at once and keeps a record of every connection.
type Options struct {
	// Mode of every connection. Default Packets.
	Mode Mode
	// ListenAddr to listen on. Default 127.0.0.1:0.
	ListenAddr string
	// RejectAfterHeader closes each connection right after reading a valid
	// header (the connection is still recorded with its DC and transport).
	RejectAfterHeader bool
	// CloseOnReqDH closes a connection once its req_DH_params is recorded.
	// Default: keep reading and answer nothing, as a DC that is slow to
	// compute its DH parameters would.
	CloseOnReqDH bool
	// Delay is waited before each answer: resPQ, echoed packet, raw echo
	// write, bulk report. Quick ACKs go out without delay. Default 0.
	Delay time.Duration
	// HeaderTimeout bounds the wait for the 64-byte header. Default 10s.
	HeaderTimeout time.Duration
	// ForgetClosed drops the record of a connection when it closes, so a
	// long load test does not grow memory; Stats still counts it.
	ForgetClosed bool
	// Rand supplies server nonces and padding. Default crypto/rand.
	Rand io.Reader
	// Now gives the time for message ids. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	defaults.Set(&o.ListenAddr, DefaultListenAddr)
	defaults.SetPositive(&o.HeaderTimeout, DefaultHeaderTimeout)
	defaults.Set(&o.Rand, rand.Reader)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
