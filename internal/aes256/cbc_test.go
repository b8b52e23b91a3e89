package aes256

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// The S-box and the key expansion match FIPS 197's examples: S(0x53) =
// 0xed, and the AES-256 schedule of appendix A.3 ends in 706c631e.
func TestKeySchedule(t *testing.T) {
	if sbox[0x00] != 0x63 || sbox[0x01] != 0x7c || sbox[0x53] != 0xed || sbox[0xff] != 0x16 {
		t.Fatalf("S-box: %02x %02x %02x %02x", sbox[0], sbox[1], sbox[0x53], sbox[0xff])
	}
	key, _ := hex.DecodeString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
	xk := expandKey(key)
	if got := hex.EncodeToString(xk[keyBytes-4:]); got != "706c631e" {
		t.Fatalf("last word of the schedule %s, want 706c631e", got)
	}
	if got := hex.EncodeToString(xk[32:36]); got != "9ba35411" {
		t.Fatalf("word 8 of the schedule %s, want 9ba35411", got)
	}
}

// stdlib returns the standard library's CBC modes for key and iv.
func stdlib(t testing.TB, key, iv []byte) (enc, dec cipher.BlockMode) {
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return cipher.NewCBCEncrypter(b, iv), cipher.NewCBCDecrypter(b, iv)
}

// check encrypts and decrypts msg in chunks of the given block counts with
// ours and the standard library's, in place and not, and compares.
func check(t testing.TB, key, iv, msg []byte, chunks []int) {
	t.Helper()
	enc, err := NewEncrypter(key, iv)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecrypter(key, iv)
	if err != nil {
		t.Fatal(err)
	}
	senc, sdec := stdlib(t, key, iv)
	want := make([]byte, len(msg))
	senc.CryptBlocks(want, msg)
	got := make([]byte, len(msg))
	back := bytes.Clone(msg)
	off := 0
	for i := 0; off < len(msg); i++ {
		n := min(chunks[i%len(chunks)]*blockSize, len(msg)-off)
		enc.CryptBlocks(got[off:off+n], msg[off:off+n])
		// Decrypt in place, from a copy of the ciphertext.
		copy(back[off:off+n], want[off:off+n])
		dec.CryptBlocks(back[off:off+n], back[off:off+n])
		off += n
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encryption differs from the standard library's (%d bytes, chunks %v)", len(msg), chunks)
	}
	if !bytes.Equal(back, msg) {
		t.Fatalf("decryption does not invert it (%d bytes, chunks %v)", len(msg), chunks)
	}
	plain := make([]byte, len(msg))
	sdec.CryptBlocks(plain, want)
	if !bytes.Equal(plain, msg) {
		t.Fatal("the standard library disagrees with itself")
	}
}

func TestMatchesStandardLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		key := make([]byte, 32)
		iv := make([]byte, 16)
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		for i := range iv {
			iv[i] = byte(rng.Uint32())
		}
		msg := make([]byte, blockSize*rng.IntN(70))
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		// Chunks of 1..9 blocks exercise the four-block loop, its tail and
		// the chaining value carried across calls.
		check(t, key, iv, msg, []int{1 + rng.IntN(9), 1 + rng.IntN(9), 1 + rng.IntN(9)})
	}
	if !fast {
		t.Log("no AES-NI here: the standard library's mode was compared with itself")
	}
}

func TestBadSizes(t *testing.T) {
	if _, err := NewEncrypter(make([]byte, 16), make([]byte, 16)); err != ErrKeySize {
		t.Errorf("16-byte key: %v", err)
	}
	if _, err := NewDecrypter(make([]byte, 32), make([]byte, 8)); err != ErrKeySize {
		t.Errorf("8-byte IV: %v", err)
	}
	enc, _ := NewEncrypter(make([]byte, 32), make([]byte, 16))
	defer func() {
		if recover() == nil {
			t.Error("a partial block did not panic")
		}
	}()
	enc.CryptBlocks(make([]byte, 20), make([]byte, 20))
}

func FuzzMatchesStandardLibrary(f *testing.F) {
	f.Add(make([]byte, 48), []byte{3, 1})
	f.Fuzz(func(t *testing.T, data []byte, chunks []byte) {
		if len(data) < 48 {
			return
		}
		key, iv, msg := data[:32], data[32:48], data[48:]
		msg = msg[:len(msg)/blockSize*blockSize]
		cs := []int{1}
		for _, c := range chunks {
			cs = append(cs, 1+int(c%16))
		}
		check(t, key, iv, msg, cs)
	})
}

func BenchmarkCBC(b *testing.B) {
	key, iv := make([]byte, 32), make([]byte, 16)
	buf := make([]byte, 16<<10)
	senc, sdec := stdlib(b, key, iv)
	enc, _ := NewEncrypter(key, iv)
	dec, _ := NewDecrypter(key, iv)
	for _, m := range []struct {
		name string
		mode cipher.BlockMode
	}{{"encrypt", enc}, {"decrypt", dec}, {"stdlib-encrypt", senc}, {"stdlib-decrypt", sdec}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				m.mode.CryptBlocks(buf, buf)
			}
		})
	}
}
