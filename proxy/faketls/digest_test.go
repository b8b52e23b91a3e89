package faketls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestVerifyKnownAnswer(t *testing.T) {
	const ts = 0x65a1b2c3
	rec := handHello(testDomain, bytes.Repeat([]byte{0x42}, 32), []uint16{0x1301})
	signHand(rec, testSecret, ts)

	other := [16]byte{1}
	secrets := [][16]byte{other, {2}, testSecret, {3}}
	idx, got, err := Verify(rec, secrets)
	if err != nil || idx != 2 || got != ts {
		t.Fatalf("Verify = %d, %#x, %v; want 2, %#x, nil", idx, got, err, uint32(ts))
	}
	if _, _, err := Verify(rec, [][16]byte{other}); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("wrong secret: %v, want ErrBadDigest", err)
	}
	if _, _, err := Verify(rec, nil); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("no secrets: %v, want ErrBadDigest", err)
	}
}

// Every byte outside client_random[28:32] is covered by the MAC; those four
// carry the timestamp, so flipping them changes the timestamp only.
func TestVerifyDetectsEveryByte(t *testing.T) {
	rec := handHello(testDomain, nil, []uint16{0x1301})
	signHand(rec, testSecret, 1000)
	for i := range rec {
		mod := bytes.Clone(rec)
		mod[i] ^= 0x01
		_, ts, err := Verify(mod, [][16]byte{testSecret})
		if i >= 39 && i < 43 {
			if err != nil || ts == 1000 {
				t.Fatalf("byte %d: ts %d, %v; want changed timestamp", i, ts, err)
			}
			continue
		}
		if !errors.Is(err, ErrBadDigest) {
			t.Fatalf("byte %d flipped: %v, want ErrBadDigest", i, err)
		}
	}
}

func TestVerifyShortRecord(t *testing.T) {
	if _, _, err := Verify(make([]byte, 42), [][16]byte{testSecret}); !errors.Is(err, ErrBadHello) {
		t.Fatalf("42-byte record: %v, want ErrBadHello", err)
	}
}

// BuildClientHello's random, checked with crypto/hmac over the record
// assembled independently.
func TestBuildClientHelloDigest(t *testing.T) {
	const ts = 1_700_000_000
	for _, split := range [][]int{nil, {100}, {3, 700, 1500}} {
		raw, random := buildHello(t, 3, HelloOptions{Domain: testDomain, Timestamp: ts, SplitAt: split})
		rec := joinRecords(t, raw)
		mustEqual(t, "random in record", rec[11:43], random[:])
		zeroed := bytes.Clone(rec)
		clear(zeroed[11:43])
		sum := refHMAC(testSecret, zeroed)
		mustEqual(t, "mac", random[:28], sum[:28])
		if got := binary.LittleEndian.Uint32(random[28:]) ^ binary.LittleEndian.Uint32(sum[28:]); got != ts {
			t.Fatalf("timestamp %d, want %d", got, ts)
		}
		if idx, got, err := Verify(rec, [][16]byte{{9}, testSecret}); err != nil || idx != 1 || got != ts {
			t.Fatalf("Verify = %d, %d, %v", idx, got, err)
		}
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	const w = 120 * time.Second
	cases := []struct {
		name   string
		ts     uint32
		now    time.Time
		window time.Duration
		uptime bool
		ok     bool
	}{
		{"now", 1_700_000_000, now, w, false, true},
		{"past edge", 1_700_000_000 - 120, now, w, false, true},
		{"past beyond", 1_700_000_000 - 121, now, w, false, false},
		{"future edge", 1_700_000_000 + 120, now, w, false, true},
		{"future beyond", 1_700_000_000 + 121, now, w, false, false},
		{"sub-second now inside", 1_700_000_000 + 120, now.Add(500 * time.Millisecond), w, false, true},
		{"sub-second now outside", 1_700_000_000 - 120, now.Add(500 * time.Millisecond), w, false, false},
		{"zero window exact", 1_700_000_000, now, 0, false, true},
		{"zero window off", 1_700_000_001, now, 0, false, false},
		{"uptime refused", 3600, now, w, false, false},
		{"uptime accepted", 3600, now, w, true, true},
		{"uptime zero", 0, now, w, true, true},
		{"uptime bound-1", UptimeBound - 1, now, w, true, true},
		{"uptime bound", UptimeBound, now, w, true, false},
		{"uptime does not widen real times", 1_700_000_000 - 121, now, w, true, false},
		{"max ts", 0xffffffff, now, w, true, false},
		{"far future now", 1_700_000_000, time.Unix(1<<62, 0), w, false, false},
		{"far past now", 1_700_000_000, time.Unix(-1<<62, 0), w, false, false},
	}
	for _, c := range cases {
		err := CheckTimestamp(c.ts, c.now, c.window, c.uptime)
		if c.ok && err != nil || !c.ok && !errors.Is(err, ErrStaleTimestamp) {
			t.Errorf("%s: CheckTimestamp(%d) = %v, want ok=%v", c.name, c.ts, err, c.ok)
		}
	}
}
