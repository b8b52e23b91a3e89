package client

import (
	"crypto/cipher"
	"fmt"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// Handshake is the client's side of a handshake, built before any network
// I/O. Its byte fields are what goes on the wire, so tests can replay them.
type Handshake struct {
	// Mode and Transport (the tag in Header) of the handshake.
	Mode      Mode
	Transport framing.Transport
	// Hello is the FakeTLS ClientHello as sent, all its records; nil for
	// the other modes.
	Hello []byte
	// ClientRandom is the hello's client_random, which the server flight's
	// HMAC covers.
	ClientRandom [32]byte
	// Header is the obfuscated2 header as sent.
	Header [obfuscated2.HeaderLen]byte
	// Flight is the server's FakeTLS flight as received, once dialled.
	Flight []byte

	secret [16]byte
	enc    cipher.Stream // client->proxy, positioned after the header
	dec    cipher.Stream // proxy->client, at 0
}

// NewHandshake builds the hello (FakeTLS) and the obfuscated2 header that
// Dial would send for o. Each Handshake can carry one connection, since its
// cipher streams advance.
func NewHandshake(o Options) (*Handshake, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handshake{Mode: o.Mode, Transport: o.Transport, secret: o.Secret}
	if o.Mode == FakeTLS {
		ho := faketls.HelloOptions{
			Domain:    o.Domain,
			Timestamp: uint32(o.Timestamp.Unix()),
			PadTo:     o.HelloSize,
			SplitAt:   o.SplitHello,
		}
		if h.Hello, h.ClientRandom, err = faketls.BuildClientHello(o.Rand, o.Secret, ho); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
		}
	}
	h.Header, h.enc, h.dec, err = obfuscated2.Generate(o.Rand, &o.Secret, o.Transport, o.DC)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// HeaderRecord returns what a FakeTLS client sends after verifying the
// server flight: ChangeCipherSpec, then one application-data record holding
// the obfuscated2 header. For the other modes it is the bare header.
func (h *Handshake) HeaderRecord() []byte {
	if h.Mode != FakeTLS {
		return append([]byte(nil), h.Header[:]...)
	}
	b := faketls.AppendChangeCipherSpec(nil)
	var rh [faketls.RecordHeaderLen]byte
	faketls.PutRecordHeader(rh[:], len(h.Header))
	b = append(b, rh[:]...)
	return append(b, h.Header[:]...)
}
