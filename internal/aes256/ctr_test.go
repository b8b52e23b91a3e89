package aes256

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// stdCTR returns the standard library's AES-CTR stream for key and iv.
func stdCTR(t testing.TB, key, iv []byte) cipher.Stream {
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return cipher.NewCTR(b, iv)
}

// checkCTR XORs msg with ours in chunks of the given sizes, alternately in
// place and into another buffer, and compares with the standard library's
// in one call.
func checkCTR(t testing.TB, key, iv, msg []byte, chunks []int) {
	t.Helper()
	s, err := NewCTR(key, iv)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, len(msg))
	stdCTR(t, key, iv).XORKeyStream(want, msg)
	got := bytes.Clone(msg)
	out := make([]byte, len(msg))
	off := 0
	for i := 0; off < len(msg); i++ {
		n := min(chunks[i%len(chunks)], len(msg)-off)
		if i%2 == 0 {
			s.XORKeyStream(got[off:off+n], got[off:off+n])
		} else {
			s.XORKeyStream(out[off:off+n], got[off:off+n])
			copy(got[off:off+n], out[off:off+n])
		}
		off += n
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("chunks %v: keystream differs from the standard library's", chunks)
	}
}

// Both loops on a CPU with VAES (sixteen blocks at a time, and AES-NI's
// eight), the counter's carry into its high half and its wrap included.
func TestCTRMatchesTheStandardLibrary(t *testing.T) {
	t.Run("vaes", func(t *testing.T) {
		if !vaes {
			t.Skip("no VAES on this CPU")
		}
		checkCTRs(t)
	})
	t.Run("aesni", func(t *testing.T) {
		useVAES = false
		defer func() { useVAES = true }()
		checkCTRs(t)
	})
}

func checkCTRs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	key, msg := make([]byte, 32), make([]byte, 5000)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	for i := range msg {
		msg[i] = byte(r.Uint32())
	}
	ivs := [][]byte{
		make([]byte, 16),
		// The low half wraps into the high half within the first blocks.
		{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd},
		// The whole counter wraps to zero.
		bytes.Repeat([]byte{0xff}, 16),
		// The low half wraps after 300 blocks, within the message: the
		// sixteen-block loop runs up to the carry, then hands over.
		{9, 9, 9, 9, 9, 9, 9, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xd4},
	}
	for _, iv := range ivs {
		for _, chunks := range [][]int{{5000}, {1}, {15, 17}, {16}, {127, 129, 128}, {3, 200, 1000, 0, 7}, {1024}, {256}, {257, 255}, {4096, 13}} {
			checkCTR(t, key, iv, msg, chunks)
		}
	}
}

func TestCTRBadSizes(t *testing.T) {
	for _, c := range []struct{ key, iv int }{{16, 16}, {32, 8}, {0, 0}, {33, 16}} {
		if _, err := NewCTR(make([]byte, c.key), make([]byte, c.iv)); err != ErrKeySize {
			t.Errorf("key %d, iv %d: err %v, want ErrKeySize", c.key, c.iv, err)
		}
	}
}

func TestCTRShortOutputPanics(t *testing.T) {
	s, err := NewCTR(make([]byte, 32), make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an output shorter than the input")
		}
	}()
	s.XORKeyStream(make([]byte, 3), make([]byte, 4))
}

// A CTR stream holds no more than the round keys, the counter and one
// block of keystream: it is allocated once, in a smaller size class than
// the standard library's 512-byte state.
func TestCTRAllocatesOnce(t *testing.T) {
	if !fast {
		t.Skip("the standard library's CTR is used on this platform")
	}
	key, iv := make([]byte, 32), make([]byte, 16)
	var sink cipher.Stream
	if n := testing.AllocsPerRun(100, func() { sink, _ = NewCTR(key, iv) }); n != 1 {
		t.Fatalf("%v allocations per stream, want 1", n)
	}
	buf := make([]byte, 100)
	if n := testing.AllocsPerRun(100, func() { sink.XORKeyStream(buf, buf) }); n != 0 {
		t.Fatalf("%v allocations per XORKeyStream, want 0", n)
	}
}

func FuzzCTR(f *testing.F) {
	f.Add(make([]byte, 48), []byte("hello"), uint16(7))
	f.Add(bytes.Repeat([]byte{0xff}, 48), make([]byte, 300), uint16(129))
	f.Fuzz(func(t *testing.T, keyIV, msg []byte, chunk uint16) {
		if len(keyIV) < 48 {
			return
		}
		checkCTR(t, keyIV[:32], keyIV[32:48], msg, []int{int(chunk%300) + 1, int(chunk % 17)})
	})
}

func BenchmarkCTR(b *testing.B) {
	key, iv := make([]byte, 32), make([]byte, 16)
	buf := make([]byte, 16<<10)
	for _, c := range []struct {
		name string
		new  func() cipher.Stream
	}{
		{"ours", func() cipher.Stream { s, _ := NewCTR(key, iv); return s }},
		{"stdlib", func() cipher.Stream { return stdCTR(b, key, iv) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := c.new()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				s.XORKeyStream(buf, buf)
			}
		})
		b.Run(c.name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.new()
			}
		})
	}
}
