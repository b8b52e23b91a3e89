package faketls

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"
)

// UptimeBound is the largest timestamp CheckTimestamp takes for a client's
// uptime rather than a unix time when allowed to: 1000 days of seconds. Unix
// time passed it in September 1972, so no real clock reads below it, while an
// uptime stays below it for almost three years.
const UptimeBound = 1000 * 24 * 60 * 60

// Verify finds the secret that authenticates a ClientHello framed as one
// record (see ReadClientHello): for each secret it computes
// HMAC-SHA256(secret, record with client_random zeroed), hashing the record in
// pieces without copying it, and the matching secret's MAC equals
// client_random in bytes 0..28. It returns that secret's index and the
// timestamp LE32(mac[28:32]) XOR LE32(random[28:32]).
//
// Errors: ErrBadHello when the record is too short to hold a client_random,
// ErrBadDigest when no secret matches.
func Verify(record []byte, secrets [][16]byte) (index int, timestamp uint32, err error) {
	if len(record) < randomOffset+randomLen {
		return -1, 0, fmt.Errorf("%w: %d bytes", ErrBadHello, len(record))
	}
	random := record[randomOffset : randomOffset+randomLen]
	m := newMAC()
	for i := range secrets {
		m.reset(&secrets[i])
		m.writeZeroed(record)
		sum := m.finish()
		if subtle.ConstantTimeCompare(sum[:timestampOffset], random[:timestampOffset]) == 1 {
			ts := binary.LittleEndian.Uint32(sum[timestampOffset:]) ^ binary.LittleEndian.Uint32(random[timestampOffset:])
			return i, ts, nil
		}
	}
	return -1, 0, ErrBadDigest
}

// CheckTimestamp accepts a hello timestamp ts (unix seconds) within ±window of
// now, the bounds included. When allowUptime is set, a ts below UptimeBound,
// which cannot be a unix time, is accepted as a client's uptime: some clients
// send one; replay protection then rests on the caller's replay cache alone.
// Anything else gives ErrStaleTimestamp.
func CheckTimestamp(ts uint32, now time.Time, window time.Duration, allowUptime bool) error {
	if allowUptime && ts < UptimeBound {
		return nil
	}
	// Sub saturates instead of overflowing, whatever now is.
	if d := time.Unix(int64(ts), 0).Sub(now); d < -window || d > window {
		return ErrStaleTimestamp
	}
	return nil
}
