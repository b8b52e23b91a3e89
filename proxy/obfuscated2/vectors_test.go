package obfuscated2

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// telethonVector was produced by Telethon 1.25.1 (MTProxyIO.init_header and
// ObfuscatedIO.init_header) with os.urandom patched to return rand. c2s is
// Telethon's encryption of payload after the header; s2c is what its
// decryptor expects for reply, i.e. what the proxy must send.
type telethonVector struct {
	name      string
	rand      string
	secret    string // empty: no secret (client straight to a DC)
	transport framing.Transport
	dc        int16
	header    string
	c2s, s2c  string
}

const (
	vecPayload = "MTProto proxy obfuscated2 test!!"
	vecReply   = "reply from the proxy to client.."
)

var telethonVectors = []telethonVector{{
	name:      "secret intermediate dc -2",
	rand:      "030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bc",
	secret:    "101112131415161718191a1b1c1d1e1f",
	transport: framing.Intermediate,
	dc:        -2,
	header:    "030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d84d60130984ee94f86",
	c2s:       "d1a116ed9f2b339bfad2abd1fcd64cd1709b0d2c481131d9518c4862166d9b3b",
	s2c:       "50cf85bd401c814d4752947c3f9c747f9e7041c0025f7376f77bbc7dc3884fe6",
}, {
	name:      "dd secret padded dc 203",
	rand:      "414e5b6875828f9ca9b6c3d0ddeaf704111e2b3845525f6c798693a0adbac7d4e1eefb0815222f3c495663707d8a97a4b1becbd8e5f2ff0c192633404d5a6774",
	secret:    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	transport: framing.Padded,
	dc:        203,
	header:    "414e5b6875828f9ca9b6c3d0ddeaf704111e2b3845525f6c798693a0adbac7d4e1eefb0815222f3c495663707d8a97a4b1becbd8e5f2ff0cdef1c93949a9d6a2",
	c2s:       "0fc012397dbf875efed754008e24dd6504bdd399136c909dfe3c6b324797478a",
	s2c:       "9ba279ec37f7ed046d35db0fed6fd72a655a1885d652f40dd720604dc779a01d",
}, {
	name:      "secret abridged dc 4",
	rand:      "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
	secret:    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
	transport: framing.Abridged,
	dc:        4,
	header:    "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a8c19789cbce3933b",
	c2s:       "fb3704bab7c4f727196fa88815aa92463d21f87305739c9d3298474807f82808",
	s2c:       "7c9c9384dc685603687d8b070dc5962418dfe0b56625161d21afb62800ae2525",
}, {
	// Telethon's plain obfuscated2 does not write a DC id; bytes 60..61
	// keep the random c4 cf, which read as int16 LE -12348.
	name:      "no secret abridged",
	rand:      "303b46515c67727d88939ea9b4bfcad5e0ebf6010c17222d38434e59646f7a85909ba6b1bcc7d2dde8f3fe09141f2a35404b56616c77828d98a3aeb9c4cfdae5",
	transport: framing.Abridged,
	dc:        -12348,
	header:    "303b46515c67727d88939ea9b4bfcad5e0ebf6010c17222d38434e59646f7a85909ba6b1bcc7d2dde8f3fe09141f2a35404b56616c77828d10944add6f53f390",
	c2s:       "27f02574619abc022491822453f1630bbb05d0e19020d098c455411bef4fde54",
	s2c:       "e144bac2c00903416b9e11695dd8ae02d912cbdb95bb4beebf2a95883cc2ac7a",
}}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTelethonVectorsAccept(t *testing.T) {
	for _, v := range telethonVectors {
		t.Run(v.name, func(t *testing.T) {
			hdr := [HeaderLen]byte(unhex(t, v.header))
			var a Accepted
			var err error
			if v.secret == "" {
				a, err = AcceptDC(&hdr)
			} else {
				other := [16]byte{0xff}
				secrets := [][16]byte{other, [16]byte(unhex(t, v.secret))}
				a, err = Accept(&hdr, secrets)
				if err == nil && a.SecretIndex != 1 {
					t.Errorf("SecretIndex = %d, want 1", a.SecretIndex)
				}
			}
			if err != nil {
				t.Fatalf("accept: %v", err)
			}
			if a.Transport != v.transport || a.DC != v.dc {
				t.Errorf("got %v dc %d, want %v dc %d", a.Transport, a.DC, v.transport, v.dc)
			}
			got := make([]byte, len(vecPayload))
			a.Decrypt.XORKeyStream(got, unhex(t, v.c2s))
			if string(got) != vecPayload {
				t.Errorf("client payload decrypts to %q", got)
			}
			a.Encrypt.XORKeyStream(got, []byte(vecReply))
			if want := unhex(t, v.s2c); !bytes.Equal(got, want) {
				t.Errorf("reply encrypts to %x, want %x", got, want)
			}
		})
	}
}

func TestTelethonVectorsGenerate(t *testing.T) {
	for _, v := range telethonVectors {
		t.Run(v.name, func(t *testing.T) {
			var secret *[16]byte
			if v.secret != "" {
				s := [16]byte(unhex(t, v.secret))
				secret = &s
			}
			hdr, enc, dec, err := Generate(bytes.NewReader(unhex(t, v.rand)), secret, v.transport, v.dc)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, v.header); !bytes.Equal(hdr[:], want) {
				t.Fatalf("header\n got %x\nwant %x", hdr, want)
			}
			got := make([]byte, len(vecPayload))
			enc.XORKeyStream(got, []byte(vecPayload))
			if want := unhex(t, v.c2s); !bytes.Equal(got, want) {
				t.Errorf("payload encrypts to %x, want %x", got, want)
			}
			dec.XORKeyStream(got, unhex(t, v.s2c))
			if string(got) != vecReply {
				t.Errorf("reply decrypts to %q", got)
			}
		})
	}
}

// TestAcceptCounterCarry builds a header with crypto primitives directly
// (not package code) whose IV's low 64 bits overflow inside the header, so
// the tag block's counter needs a carry into the high half.
func TestAcceptCounterCarry(t *testing.T) {
	secret := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	var plain [HeaderLen]byte
	for i := range plain {
		plain[i] = byte(0x61 + i)
	}
	binary.BigEndian.PutUint64(plain[40:48], 0x0102030405060708)
	binary.BigEndian.PutUint64(plain[48:56], 0xfffffffffffffffe) // +3 blocks carries
	copy(plain[56:60], []byte{0xdd, 0xdd, 0xdd, 0xdd})
	binary.LittleEndian.PutUint16(plain[60:62], uint16(0xfffb)) // -5

	key := sha256.Sum256(append(append([]byte{}, plain[8:40]...), secret[:]...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	clientEnc := cipher.NewCTR(block, plain[40:56])
	var ct [HeaderLen]byte
	clientEnc.XORKeyStream(ct[:], plain[:])
	hdr := plain
	copy(hdr[56:], ct[56:])

	a, err := Accept(&hdr, [][16]byte{{}, {9}, secret})
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if a.SecretIndex != 2 || a.Transport != framing.Padded || a.DC != -5 {
		t.Fatalf("got index %d %v dc %d", a.SecretIndex, a.Transport, a.DC)
	}
	msg := []byte("sixteen byte msg plus a tail")
	wire := make([]byte, len(msg))
	clientEnc.XORKeyStream(wire, msg)
	a.Decrypt.XORKeyStream(wire, wire)
	if !bytes.Equal(wire, msg) {
		t.Errorf("payload decrypts to %q", wire)
	}

	// Proxy->client: key SHA256(rev[0:32] || secret), IV rev[32:48].
	var rev [48]byte
	for i := range rev {
		rev[i] = hdr[55-i]
	}
	rkey := sha256.Sum256(append(append([]byte{}, rev[:32]...), secret[:]...))
	rblock, err := aes.NewCipher(rkey[:])
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, len(msg))
	cipher.NewCTR(rblock, rev[32:]).XORKeyStream(want, msg)
	got := make([]byte, len(msg))
	a.Encrypt.XORKeyStream(got, msg)
	if !bytes.Equal(got, want) {
		t.Errorf("reply encrypts to %x, want %x", got, want)
	}

	wantReplay := sha256.Sum256(hdr[8:56])
	if !bytes.Equal(a.ReplayKey[:], wantReplay[:16]) {
		t.Errorf("ReplayKey = %x, want %x", a.ReplayKey, wantReplay[:16])
	}
}
