package faketls

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Bounds of a ServerProfile.
const (
	// MaxProfileNoise is the largest Noise a profile may ask for.
	MaxProfileNoise = 256
	// maxCopiedExtensions bounds the bytes of extensions copied verbatim.
	maxCopiedExtensions = 512
	// maxProfileRecords bounds the encrypted records a profile lists.
	maxProfileRecords = 32
)

// ServerProfile is the shape of a real TLS 1.3 server's first flight, as
// recorded from the site FakeTLS imitates (the tlsprofile package probes
// it). [ServerFlight] shapes every answer after it. The zero value is not
// usable: start from [FallbackProfile] or a probe.
//
// Telegram clients read exactly one handshake record, the ChangeCipherSpec
// record and one application-data record, and check the HMAC over those
// bytes; any further record would be taken for relayed data. So the
// origin's encrypted records (EncryptedExtensions, Certificate,
// CertificateVerify, Finished, in as many records as it uses) are stood in
// for by ONE record carrying as many bytes on the wire as all of them, and
// the ChangeCipherSpec record is always sent. Everything else follows the
// origin.
type ServerProfile struct {
	// CipherSuite is the suite the origin picked for a browser. It is used
	// when the client offers it; otherwise the client's first TLS 1.3
	// suite is. 0: always the client's first.
	CipherSuite uint16
	// Group is the group the origin picked for a browser offering
	// X25519MLKEM768 and x25519 key shares: [GroupX25519MLKEM768] or
	// [GroupX25519]. The answer echoes it when the client offers it, and
	// the client's other group otherwise, with a correctly sized share.
	Group uint16
	// Extensions are the origin's ServerHello extensions, in its order.
	// key_share and supported_versions (both required) are written for each
	// client, their Data ignored; other extensions are copied verbatim
	// (at most 512 bytes in all).
	Extensions []Extension
	// Records are the payload sizes of the origin's encrypted records in
	// its first flight, in order: 1 to 32 of them, each 1..MaxReadPayload.
	Records []int
	// Noise varies the stand-in record's size by up to ±Noise bytes per
	// flight, as signatures of varying length do. 0..MaxProfileNoise.
	Noise int
	// Splits are offsets into the flight at which the origin's writes
	// ended (a pause on the wire), increasing; the flight is written in
	// pieces cut there. Empty: one write.
	Splits []int
}

// FallbackProfile returns a profile for when the origin cannot be probed:
// a modern nginx or Go server's ServerHello (supported_versions, then
// key_share; X25519MLKEM768 when offered; the client's first suite) and an
// encrypted flight the size of a usual certificate chain, drawn once from
// rand between 2400 and 3400 bytes so that it is constant for this profile,
// with ±2 bytes of noise.
func FallbackProfile(rand io.Reader) (ServerProfile, error) {
	var b [2]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return ServerProfile{}, err
	}
	return ServerProfile{
		Group:      GroupX25519MLKEM768,
		Extensions: []Extension{{Type: extSupportedVersions}, {Type: extKeyShare}},
		Records:    []int{2400 + int(binary.BigEndian.Uint16(b[:]))%1001},
		Noise:      2,
	}, nil
}

// Validate reports whether p can shape a flight; errors wrap ErrBadProfile.
func (p *ServerProfile) Validate() error {
	if p.Group != GroupX25519 && p.Group != GroupX25519MLKEM768 {
		return fmt.Errorf("%w: group %#04x", ErrBadProfile, p.Group)
	}
	if p.CipherSuite != 0 && (p.CipherSuite < suiteTLS13Low || p.CipherSuite > suiteTLS13Max) {
		return fmt.Errorf("%w: cipher suite %#04x is not TLS 1.3", ErrBadProfile, p.CipherSuite)
	}
	var keyShare, versions, copied int
	for i, e := range p.Extensions {
		for _, prev := range p.Extensions[:i] {
			if prev.Type == e.Type {
				return fmt.Errorf("%w: duplicate extension %#04x", ErrBadProfile, e.Type)
			}
		}
		switch e.Type {
		case extKeyShare:
			keyShare++
		case extSupportedVersions:
			versions++
		default:
			copied += 4 + len(e.Data)
		}
	}
	switch {
	case keyShare != 1 || versions != 1:
		return fmt.Errorf("%w: key_share and supported_versions are required", ErrBadProfile)
	case copied > maxCopiedExtensions:
		return fmt.Errorf("%w: %d bytes of other extensions", ErrBadProfile, copied)
	case len(p.Records) == 0 || len(p.Records) > maxProfileRecords:
		return fmt.Errorf("%w: %d encrypted records", ErrBadProfile, len(p.Records))
	case p.Noise < 0 || p.Noise > MaxProfileNoise:
		return fmt.Errorf("%w: noise %d", ErrBadProfile, p.Noise)
	}
	for _, n := range p.Records {
		if n < 1 || n > MaxReadPayload {
			return fmt.Errorf("%w: record of %d bytes", ErrBadProfile, n)
		}
	}
	for i, s := range p.Splits {
		if s < 1 || i > 0 && s <= p.Splits[i-1] {
			return fmt.Errorf("%w: write splits %v", ErrBadProfile, p.Splits)
		}
	}
	return nil
}

// StandInLen returns the payload size of the one record standing in for
// the origin's encrypted records before noise: their payloads plus the
// headers of all but one, so the wire carries the same bytes, at most
// MaxRecordPayload.
func (p *ServerProfile) StandInLen() int {
	n := RecordHeaderLen * (len(p.Records) - 1)
	for _, r := range p.Records {
		n += r
	}
	return max(1, min(n, MaxRecordPayload))
}

// appDataLen draws the stand-in record's size: StandInLen with up to
// ±Noise bytes, within [1, MaxRecordPayload].
func (p *ServerProfile) appDataLen(rand io.Reader) (int, error) {
	n := p.StandInLen()
	if p.Noise == 0 {
		return n, nil
	}
	var b [2]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return 0, err
	}
	n += int(binary.BigEndian.Uint16(b[:]))%(2*p.Noise+1) - p.Noise
	return max(1, min(n, MaxRecordPayload)), nil
}

// suiteFor picks the suite answering hello.
func (p *ServerProfile) suiteFor(hello *ClientHello) uint16 {
	switch {
	case p.CipherSuite != 0 && hello.OffersSuite(p.CipherSuite):
		return p.CipherSuite
	case hello.CipherSuite != 0:
		return hello.CipherSuite
	}
	return suiteTLS13Low
}

// groupFor picks the key-exchange group answering hello: the profile's
// when the client sent a share for it, else the other one the client sent
// a share for; x25519 when the hello carries no usable share.
func (p *ServerProfile) groupFor(hello *ClientHello) uint16 {
	mlkem, x := hello.OffersKeyShare(GroupX25519MLKEM768), hello.OffersKeyShare(GroupX25519)
	switch {
	case mlkem && (p.Group == GroupX25519MLKEM768 || !x):
		return GroupX25519MLKEM768
	}
	return GroupX25519
}
