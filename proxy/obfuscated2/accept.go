package obfuscated2

import (
	"crypto/aes"
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
// Each secret costs one SHA-256 and one AES block; the CTR streams are
// built only for the matching secret. The DC id is reported as sent: 0
// (default DC) and negative ids (media DCs) are for the caller to map.
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
	block, err := aes.NewCipher(fwd.key[:])
	if err != nil {
		return Accepted{}, false, err
	}
	// Bytes 48..63 of the keystream cover the tag and DC id: one block.
	ctr := counterAt(&fwd.iv, tagOff/aes.BlockSize)
	var ks [aes.BlockSize]byte
	block.Encrypt(ks[:], ctr[:])
	const in = tagOff % aes.BlockSize
	var tag [4]byte
	for j := range tag {
		tag[j] = hdr[tagOff+j] ^ ks[in+j]
	}
	t, ok := framing.TransportFromTag(tag)
	if !ok {
		return Accepted{}, false, nil
	}
	dc := [2]byte{hdr[dcOff] ^ ks[in+4], hdr[dcOff+1] ^ ks[in+5]}

	dec := cipher.NewCTR(block, fwd.iv[:])
	var scratch [HeaderLen]byte
	dec.XORKeyStream(scratch[:], scratch[:])
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
