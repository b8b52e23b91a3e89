package obfuscated2

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

var transports = []framing.Transport{framing.Abridged, framing.Intermediate, framing.Padded}

func seeded(seed byte) *rand.ChaCha8 {
	return rand.NewChaCha8([32]byte{seed, 0x4f, 0x32})
}

// exchange checks that data flows both ways between an initiator's streams
// and an acceptor's, continuing after the header.
func exchange(t *testing.T, a Accepted, genEnc, genDec interface {
	XORKeyStream(dst, src []byte)
}) {
	t.Helper()
	for i, n := range []int{1, 15, 16, 17, 1000} {
		up := bytes.Repeat([]byte{byte(i + 1)}, n)
		wire := make([]byte, n)
		genEnc.XORKeyStream(wire, up)
		if n >= 16 && bytes.Equal(wire, up) {
			t.Fatal("initiator stream did not encrypt")
		}
		a.Decrypt.XORKeyStream(wire, wire)
		if !bytes.Equal(wire, up) {
			t.Fatalf("upstream chunk %d does not decrypt", i)
		}
		down := bytes.Repeat([]byte{byte(0x80 + i)}, n)
		a.Encrypt.XORKeyStream(wire, down)
		genDec.XORKeyStream(wire, wire)
		if !bytes.Equal(wire, down) {
			t.Fatalf("downstream chunk %d does not decrypt", i)
		}
	}
}

func TestRoundTripWithSecrets(t *testing.T) {
	r := seeded(1)
	secrets := make([][16]byte, 5)
	for i := range secrets {
		r.Read(secrets[i][:])
	}
	for _, tr := range transports {
		for idx := range secrets {
			for _, dc := range []int16{1, 2, 5, 203, 0, -1, -2, -5, -32768, 32767} {
				hdr, enc, dec, err := Generate(r, &secrets[idx], tr, dc)
				if err != nil {
					t.Fatal(err)
				}
				a, err := Accept(&hdr, secrets)
				if err != nil {
					t.Fatalf("%v secret %d dc %d: %v", tr, idx, dc, err)
				}
				if a.SecretIndex != idx || a.Transport != tr || a.DC != dc {
					t.Fatalf("got index %d %v dc %d, want %d %v %d", a.SecretIndex, a.Transport, a.DC, idx, tr, dc)
				}
				exchange(t, a, enc, dec)
			}
		}
	}
}

func TestRoundTripNoSecret(t *testing.T) {
	r := seeded(2)
	for _, tr := range transports {
		for _, dc := range []int16{2, -4} {
			hdr, enc, dec, err := Generate(r, nil, tr, dc)
			if err != nil {
				t.Fatal(err)
			}
			a, err := AcceptDC(&hdr)
			if err != nil {
				t.Fatal(err)
			}
			if a.SecretIndex != -1 || a.Transport != tr || a.DC != dc {
				t.Fatalf("got index %d %v dc %d", a.SecretIndex, a.Transport, a.DC)
			}
			exchange(t, a, enc, dec)
		}
	}
}

func TestWrongSecret(t *testing.T) {
	r := seeded(3)
	right := [16]byte{0xaa}
	wrong := [][16]byte{{0xab}, {}, {0xaa, 1}}
	misses := 0
	for range 200 {
		hdr, _, _, err := Generate(r, &right, framing.Padded, 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Accept(&hdr, wrong); errors.Is(err, ErrUnknownProtocol) {
			misses++
		} else if err != nil {
			t.Fatal(err)
		}
		if _, err := Accept(&hdr, nil); !errors.Is(err, ErrUnknownProtocol) {
			t.Fatalf("no secrets: err = %v", err)
		}
	}
	// A wrong key decrypts to a valid tag with probability 3/2^32 per try.
	if misses != 200 {
		t.Fatalf("wrong secrets accepted %d of 200 headers", 200-misses)
	}
}

func TestAcceptDCRejectsSecretHeader(t *testing.T) {
	r := seeded(4)
	secret := [16]byte{7}
	hdr, _, _, err := Generate(r, &secret, framing.Intermediate, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcceptDC(&hdr); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("err = %v", err)
	}
	hdr, _, _, err = Generate(r, nil, framing.Intermediate, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Accept(&hdr, [][16]byte{secret}); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("err = %v", err)
	}
}

func TestAcceptLeavesHeaderAndDiffersReplayKey(t *testing.T) {
	r := seeded(5)
	secret := [16]byte{3}
	seen := map[[16]byte]bool{}
	for range 50 {
		hdr, _, _, err := Generate(r, &secret, framing.Abridged, 1)
		if err != nil {
			t.Fatal(err)
		}
		orig := hdr
		a, err := Accept(&hdr, [][16]byte{secret})
		if err != nil {
			t.Fatal(err)
		}
		if hdr != orig {
			t.Fatal("Accept modified the header")
		}
		if seen[a.ReplayKey] {
			t.Fatal("two fresh headers share a replay key")
		}
		seen[a.ReplayKey] = true
		again, err := Accept(&hdr, [][16]byte{secret})
		if err != nil || again.ReplayKey != a.ReplayKey {
			t.Fatal("replaying a header must give the same replay key")
		}
	}
}
