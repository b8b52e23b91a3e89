package obfuscated2

import (
	"crypto/cipher"
	"encoding/binary"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// Accepted is the result of accepting a peer's header.
type Accepted struct {
	SecretIndex int               // index into secrets; -1 for AcceptDC
	Transport   framing.Transport // from the decrypted tag
	DC          int16             // bytes 60..61, signed LE
	Decrypt     cipher.Stream     // peer->us, positioned just after the 64 header bytes
	Encrypt     cipher.Stream     // us->peer, positioned at 0
	ReplayKey   [16]byte          // first 16 bytes of SHA256(hdr[8:56]), for a replay cache
}

// Accept tries every secret in order and returns the first that decrypts
// the header to a known protocol tag (client->proxy key
// SHA256(hdr[8:40] || secret), IV hdr[40:56]; the proxy->client direction
// uses reverse(hdr[8:56])). It returns ErrUnknownProtocol when no secret
// does. hdr is not modified.
//
// Each secret costs one SHA-256, one AES key schedule and four AES blocks;
// the reverse stream is built only for the matching secret. The DC id is
// reported as sent: 0 (default DC) and negative ids (media DCs) are for the
// caller to map.
func Accept(hdr *[HeaderLen]byte, secrets [][16]byte) (Accepted, error) {
	for i := range secrets {
		a, ok, err := accept(hdr, &secrets[i])
		if err != nil {
			return Accepted{}, err
		}
		if ok {
			a.SecretIndex = i
			return a, nil
		}
	}
	return Accepted{}, ErrUnknownProtocol
}

// AcceptDC accepts a header sent with no secret, as a Telegram DC does
// (key = hdr[8:40] as is). It is what a fake DC in tests uses. SecretIndex
// is -1.
func AcceptDC(hdr *[HeaderLen]byte) (Accepted, error) {
	a, ok, err := accept(hdr, nil)
	if err != nil {
		return Accepted{}, err
	}
	if !ok {
		return Accepted{}, ErrUnknownProtocol
	}
	a.SecretIndex = -1
	return a, nil
}

// accept checks one secret (nil: none). ok is false when the decrypted tag
// is not a known transport.
func accept(hdr *[HeaderLen]byte, secret *[16]byte) (a Accepted, ok bool, err error) {
	fwd := forwardKey(hdr, secret)
	dec, err := fwd.stream()
	if err != nil {
		return Accepted{}, false, err
	}
	// The stream decrypts the whole header, so when the tag is known it is
	// positioned just after it.
	var plain [HeaderLen]byte
	dec.XORKeyStream(plain[:], hdr[:])
	t, ok := framing.TransportFromTag([4]byte(plain[tagOff : tagOff+4]))
	if !ok {
		return Accepted{}, false, nil
	}
	dc := [2]byte{plain[dcOff], plain[dcOff+1]}
	rev := reverseKey(hdr, secret)
	enc, err := rev.stream()
	if err != nil {
		return Accepted{}, false, err
	}
	return Accepted{
		Transport: t,
		DC:        int16(binary.LittleEndian.Uint16(dc[:])),
		Decrypt:   dec,
		Encrypt:   enc,
		ReplayKey: replayKey(hdr),
	}, true, nil
}
