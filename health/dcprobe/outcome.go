package dcprobe

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
)

// Method is one exchange with one address of a target. Implementations
// must be safe for concurrent use, honour ctx and bound their own time.
type Method interface {
	Probe(ctx context.Context, target int, addr netip.AddrPort) Outcome
}

// Answer says what came back from a peer that is not Telegram: a closed
// set, for messages (not a metric label).
type Answer uint8

// Answers.
const (
	AnswerNone  Answer = iota // nothing came back
	AnswerHTTP                // an HTTP response: an interceptor or captive portal
	AnswerTLS                 // a TLS record: a TLS server or a TLS-intercepting box
	AnswerEcho                // our own bytes: a reflector
	AnswerOther               // bytes that are not the answer for our request
)

var answerNames = [...]string{"none", "http", "tls", "echo", "other"}

func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return "unknown"
}

// Sniff says what the first bytes a peer sent back are, given what we
// sent: an HTTP response, a TLS record, an echo of our bytes, or other.
func Sniff(got, sent []byte) Answer {
	switch {
	case len(got) == 0:
		return AnswerNone
	case bytes.HasPrefix(got, []byte("HTTP/")):
		return AnswerHTTP
	case len(got) >= 3 && got[0] >= 0x14 && got[0] <= 0x17 && got[1] == 0x03 && got[2] <= 0x04:
		return AnswerTLS
	case len(got) >= 4 && len(sent) >= 4 && (bytes.HasPrefix(sent, got) || bytes.HasPrefix(got, sent)):
		return AnswerEcho
	}
	return AnswerOther
}

// Outcome is how one exchange with one address ended.
type Outcome struct {
	Addr netip.AddrPort
	// Result is the class of the outcome.
	Result dc.Result
	// Answer says what came back, for NotMTProto.
	Answer Answer
	// Connect is how long the TCP connect took (or failed after).
	Connect time.Duration
	// RTT is the round trip of the exchange, from the request sent to the
	// answer read; set for OK only.
	RTT time.Duration
	// Timeout is the bound the exchange had, for the wording of timeouts.
	Timeout time.Duration
	// Err is the cause of a failure, for logs; it never holds a secret.
	Err error
}

// Describe words the outcome for an operator, e.g. "TCP connects but the
// peer is not Telegram: it answered HTTP".
func (o Outcome) Describe() string {
	within := ""
	if o.Timeout > 0 {
		within = " within " + o.Timeout.String()
	}
	switch o.Result {
	case dc.OK:
		return "answers (round trip " + roundDur(o.RTT) + ", connect " + roundDur(o.Connect) + ")"
	case dc.Refused:
		return "connection refused"
	case dc.Timeout:
		return "no TCP connection" + within + " (a firewall or DPI dropping it?)"
	case dc.Reset:
		return "TCP connects, then the peer closes the connection before answering (DPI reset?)"
	case dc.NoAnswer:
		return "TCP connects but the peer accepts and stays silent: no answer" + within + " (DPI blackhole or interceptor)"
	case dc.NotMTProto:
		switch o.Answer {
		case AnswerHTTP:
			return "TCP connects but the peer is not Telegram: it answered HTTP (interceptor or captive portal)"
		case AnswerTLS:
			return "TCP connects but the peer is not Telegram: it answered TLS"
		case AnswerEcho:
			return "TCP connects but the peer is not Telegram: it echoes what it is sent (reflector)"
		}
		s := "TCP connects but the peer is not Telegram: its answer is not the protocol's"
		if o.Err != nil {
			s += " (" + oneLine(o.Err) + ")"
		}
		return s
	case dc.Unreachable:
		return "unreachable (no route)"
	}
	if o.Err != nil {
		return "failed: " + oneLine(o.Err)
	}
	return "failed"
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// String is the address and the description.
func (o Outcome) String() string { return fmt.Sprintf("%s: %s", o.Addr, o.Describe()) }

// informative ranks outcomes by how much they say about a down target: a
// connected peer that did something wrong first, then the connect failures.
func informative(r dc.Result) int {
	switch r {
	case dc.NotMTProto:
		return 6
	case dc.NoAnswer:
		return 5
	case dc.Reset:
		return 4
	case dc.Failed:
		return 3
	case dc.Refused:
		return 2
	case dc.Timeout:
		return 1
	}
	return 0
}
