package proxy

import (
	"sync/atomic"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Stage is how far a client connection got: the client funnel, a closed
// set used as a metric label. Each stage implies the ones before it.
type Stage uint8

// Stages, in order.
const (
	StageAccepted          Stage = iota // the TCP connection was accepted
	StageFirstByte                      // the client sent a first byte
	StageHandshakeRead                  // a whole ClientHello, or the 64-byte obfuscated2 header, was read
	StageAuthenticated                  // the handshake succeeded
	StageUpstreamConnected              // a connection to Telegram carries it (a DC dialled, a middle proxy bound)
	StageUpstreamAnswered               // Telegram's first byte was relayed back to the client
	StageEstablished                    // at least EstablishedBytes were relayed to the client
	numStages
)

// NumStages is the size of the Stage set.
const NumStages = int(numStages)

// EstablishedBytes is how many bytes relayed to a client (on its wire)
// make its connection established: more than a key exchange, so a client
// that gets this far is really using Telegram.
const EstablishedBytes = 8 << 10

var stageNames = [...]string{
	StageAccepted:          "accepted",
	StageFirstByte:         "first_byte",
	StageHandshakeRead:     "handshake_read",
	StageAuthenticated:     "authenticated",
	StageUpstreamConnected: "upstream_connected",
	StageUpstreamAnswered:  "upstream_answered",
	StageEstablished:       "established",
}

// One name per Stage: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(stageNames)-int(numStages)]

// String returns the Stage's name.
func (s Stage) String() string { return enum.Name(stageNames[:], s) }

// StageEvent is a connection reaching a stage.
type StageEvent struct {
	Stage Stage
	// Protocol is the client's protocol as known at that stage
	// (ProtoUnknown before the handshake is read).
	Protocol Protocol
	// Secret is the index of the client's secret from StageAuthenticated
	// on, else -1.
	Secret int
}

// progress is one connection's position in the funnel. Stages are
// reported once each, in order, from whichever goroutine reaches them
// first (the client's reader, the relay's DC reader, a middle-proxy
// writer); proto and secret are set before the goroutines that read them
// start.
type progress struct {
	obs    Observer
	stage  atomic.Uint32
	proto  Protocol
	secret int
}

func newProgress(obs Observer) *progress { return &progress{obs: obs, secret: -1} }

// reach advances to s, reporting every stage passed on the way.
func (p *progress) reach(s Stage) {
	for {
		cur := Stage(p.stage.Load())
		if cur >= s {
			return
		}
		if p.stage.CompareAndSwap(uint32(cur), uint32(cur+1)) {
			p.obs.ClientStage(StageEvent{Stage: cur + 1, Protocol: p.proto, Secret: p.secret})
		}
	}
}

// at is the furthest stage reached.
func (p *progress) at() Stage { return Stage(p.stage.Load()) }
