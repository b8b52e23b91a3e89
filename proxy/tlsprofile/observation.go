package tlsprofile

import (
	"bytes"
	"fmt"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// maxRecords bounds the records one flight may have.
const maxRecords = 32

// Record is one record of the origin's flight as seen on the wire.
type Record struct {
	// Type is the record's content type (0x16 handshake, 0x14
	// ChangeCipherSpec, 0x17 encrypted).
	Type byte
	// Len is its payload length.
	Len int
	// First and Last are when its first and last bytes arrived, since the
	// hello was sent.
	First, Last time.Duration
}

// Observation is what one probe saw, and the profile made from it.
type Observation struct {
	// Addr is the address that answered; At when the probe started.
	Addr string
	At   time.Time
	// ServerHello is the parsed ServerHello; its Extensions' Data are the
	// probe's own copies.
	ServerHello faketls.ServerHello
	// CCS is set when the origin sent a ChangeCipherSpec record.
	CCS bool
	// Records are every record of the flight, the ServerHello first.
	Records []Record
	// Profile is the shape FakeTLS gives its flight after this one.
	Profile faketls.ServerProfile
}

// Encrypted returns the payload sizes of the flight's encrypted records.
func (ob *Observation) Encrypted() []int {
	var out []int
	for _, r := range ob.Records {
		if r.Type == faketls.TypeApplicationData {
			out = append(out, r.Len)
		}
	}
	return out
}

// addServerHello checks and keeps the first record.
func (ob *Observation) addServerHello(rec Record, body []byte) error {
	if rec.Type == faketls.TypeAlert {
		return fail(ResultBadAnswer, "the origin answered with an alert %x", body[faketls.RecordHeaderLen:])
	}
	sh, err := faketls.ParseServerHello(body)
	if err != nil {
		return fail(ResultBadAnswer, "%w", err)
	}
	switch {
	case sh.RetryRequest:
		return fail(ResultRetryRequest, "the origin asked for a key share of group %#04x", sh.Group)
	case sh.Version != 0x0304:
		return fail(ResultNotTLS13, "the origin negotiated version %#04x, not TLS 1.3", sh.Version)
	}
	for i := range sh.Extensions {
		sh.Extensions[i].Data = bytes.Clone(sh.Extensions[i].Data)
	}
	ob.ServerHello = *sh
	ob.Records = append(ob.Records, rec)
	return nil
}

// add checks and keeps a record after the ServerHello.
func (ob *Observation) add(rec Record, body []byte) error {
	switch rec.Type {
	case faketls.TypeChangeCipherSpec:
		if ob.CCS || len(ob.Encrypted()) > 0 || rec.Len != 1 {
			return fail(ResultBadAnswer, "a stray ChangeCipherSpec record")
		}
		ob.CCS = true
	case faketls.TypeApplicationData:
		if rec.Len == 0 || rec.Len > faketls.MaxReadPayload {
			return fail(ResultBadAnswer, "an encrypted record of %d bytes", rec.Len)
		}
	case faketls.TypeAlert:
		return fail(ResultBadAnswer, "the origin sent an alert %x", body[faketls.RecordHeaderLen:])
	default:
		return fail(ResultBadAnswer, "a record of type %#02x after the ServerHello", rec.Type)
	}
	ob.Records = append(ob.Records, rec)
	return nil
}

// complete checks the flight has encrypted records.
func (ob *Observation) complete() error {
	if len(ob.Encrypted()) == 0 {
		return fail(ResultBadAnswer, "no encrypted record followed the ServerHello")
	}
	return nil
}

// profile makes the ServerProfile of the observed flight.
func (ob *Observation) profile(o Options) (faketls.ServerProfile, error) {
	sh := &ob.ServerHello
	p := faketls.ServerProfile{
		CipherSuite: sh.CipherSuite,
		Group:       sh.Group,
		Extensions:  sh.Extensions,
		Records:     ob.Encrypted(),
		Noise:       min(o.Noise, faketls.MaxProfileNoise),
		Splits:      ob.splits(o.WriteGap),
	}
	if err := p.Validate(); err != nil {
		return p, fail(ResultBadAnswer, "the origin's flight cannot be imitated: %w", err)
	}
	return p, nil
}

// splits maps the pauses of at least gap between records to offsets in
// the flight FakeTLS sends: the ServerHello of the same size, always a
// ChangeCipherSpec, then one record standing for the encrypted ones, which
// keeps their byte offsets.
func (ob *Observation) splits(gap time.Duration) []int {
	var out []int
	shEnd := faketls.RecordHeaderLen + ob.Records[0].Len
	off := shEnd + faketls.RecordHeaderLen + 1 // past our ChangeCipherSpec
	for i := 1; i < len(ob.Records); i++ {
		prev, r := ob.Records[i-1], ob.Records[i]
		at := off
		if prev.Type == faketls.TypeHandshake {
			at = shEnd // a pause right after the ServerHello
		}
		if r.First-prev.Last >= gap && at > 0 {
			if len(out) == 0 || at > out[len(out)-1] {
				out = append(out, at)
			}
		}
		if r.Type == faketls.TypeApplicationData {
			off += faketls.RecordHeaderLen + r.Len
		}
	}
	return out
}

// String summarises the observation for logs: no secret in it.
func (ob *Observation) String() string {
	types := make([]string, len(ob.ServerHello.Extensions))
	for i, e := range ob.ServerHello.Extensions {
		types[i] = fmt.Sprintf("%#04x", e.Type)
	}
	return fmt.Sprintf("suite %#04x, group %#04x (%d-byte share), extensions %v, ccs %t, encrypted records %v",
		ob.ServerHello.CipherSuite, ob.ServerHello.Group, ob.ServerHello.KeyShareLen, types, ob.CCS, ob.Encrypted())
}
