package rpc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

var (
	testKey = bytes.Repeat([]byte{0x42}, 32)
	testIV  = []byte("0123456789abcdef")
)

// handFrame builds a frame byte by byte from the spec, independently of
// FrameWriter: len | seq | payload | crc(len|seq|payload).
func handFrame(seq int32, payload []byte, tab *crc32.Table) []byte {
	f := binary.LittleEndian.AppendUint32(nil, uint32(12+len(payload)))
	f = binary.LittleEndian.AppendUint32(f, uint32(seq))
	f = append(f, payload...)
	return binary.LittleEndian.AppendUint32(f, crc32.Checksum(f, tab))
}

// handEncrypt pads plain with 04 00 00 00 words to 16 bytes and encrypts it
// with a fresh CBC state from the test key.
func handEncrypt(t testing.TB, mode cipher.BlockMode, plain []byte) []byte {
	t.Helper()
	for len(plain)%16 != 0 {
		plain = append(plain, 4, 0, 0, 0)
	}
	out := make([]byte, len(plain))
	mode.CryptBlocks(out, plain)
	return out
}

func cbc(t testing.TB, enc bool) cipher.BlockMode {
	t.Helper()
	b, err := aes.NewCipher(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if enc {
		return cipher.NewCBCEncrypter(b, testIV)
	}
	return cipher.NewCBCDecrypter(b, testIV)
}

func TestChecksumTables(t *testing.T) {
	// Standard check values of "123456789".
	check := []byte("123456789")
	if got := crc32.Checksum(check, ChecksumCRC32.table()); got != 0xCBF43926 {
		t.Errorf("crc32 check = %08x", got)
	}
	if got := crc32.Checksum(check, ChecksumCRC32C.table()); got != 0xE3069283 {
		t.Errorf("crc32c check = %08x", got)
	}
}

// seriyps/mtproto_proxy mtp_full.erl encode tests: payload 01 01 01 01 at
// seq 0, and 8 x 01 at seq 0 (their writer pads plaintext too; ours only
// pads encrypted output, so compare the frame itself).
func TestFrameKnownVectors(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		want    []byte
	}{
		{[]byte{1, 1, 1, 1}, []byte{16, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 22, 39, 175, 160}},
		{bytes.Repeat([]byte{1}, 8), []byte{20, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 246, 196, 46, 149}},
		{bytes.Repeat([]byte{9}, 8), []byte{20, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 229, 35, 162, 164}},
	} {
		var out bytes.Buffer
		fw := NewFrameWriter(&out)
		for range 2 { // seq -2 and -1
			if err := fw.WriteFrame(nil); err != nil {
				t.Fatal(err)
			}
		}
		out.Reset()
		if err := fw.WriteFrame(tc.payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), tc.want) {
			t.Errorf("frame = %v, want %v", out.Bytes(), tc.want)
		}
	}
}

func TestWriterMatchesHandBuiltStream(t *testing.T) {
	for _, sum := range []Checksum{ChecksumCRC32, ChecksumCRC32C} {
		var out bytes.Buffer
		fw := NewFrameWriter(&out)
		nonce := bytes.Repeat([]byte{0xaa}, 32)
		if err := fw.WriteFrame(nonce); err != nil {
			t.Fatal(err)
		}
		if err := fw.EnableEncryption(testKey, testIV); err != nil {
			t.Fatal(err)
		}
		p1 := bytes.Repeat([]byte{1}, 20)
		p2 := bytes.Repeat([]byte{2}, 36)
		p3 := bytes.Repeat([]byte{3}, 4)
		if err := fw.WriteFrame(p1); err != nil { // seq -1, CRC32
			t.Fatal(err)
		}
		fw.SetChecksum(sum)
		if err := fw.QueueFrame(p2); err != nil { // seq 0 and 1 in one flush
			t.Fatal(err)
		}
		if err := fw.QueueFrame(p3); err != nil {
			t.Fatal(err)
		}
		if err := fw.Flush(); err != nil {
			t.Fatal(err)
		}

		enc := cbc(t, true)
		want := handFrame(-2, nonce, crc32.IEEETable)
		want = append(want, handEncrypt(t, enc, handFrame(-1, p1, crc32.IEEETable))...)
		tab := crc32.MakeTable(crc32.Castagnoli)
		if sum == ChecksumCRC32 {
			tab = crc32.IEEETable
		}
		both := append(handFrame(0, p2, tab), handFrame(1, p3, tab)...)
		want = append(want, handEncrypt(t, enc, both)...)
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%v: writer output differs from the hand-built stream", sum)
		}
	}
}

func TestReaderHandBuiltEncryptedStream(t *testing.T) {
	// Plaintext nonce frame, then an encrypted stream where padding words sit
	// between frames as well as at the end, as a peer flushing rarely sends.
	payloads := [][]byte{bytes.Repeat([]byte{7}, 8), {}, bytes.Repeat([]byte{8}, 44), bytes.Repeat([]byte{9}, 100)}
	var plain []byte
	for i, p := range payloads {
		plain = append(plain, handFrame(int32(i-1), p, crc32.IEEETable)...)
		if i == 1 {
			plain = append(plain, 4, 0, 0, 0, 4, 0, 0, 0)
		}
	}
	stream := append(handFrame(-2, []byte("NONCE..."), crc32.IEEETable), handEncrypt(t, cbc(t, true), plain)...)

	for name, src := range map[string]io.Reader{
		"whole":   bytes.NewReader(stream),
		"onebyte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":    iotest.HalfReader(bytes.NewReader(stream)),
		"dataerr": iotest.DataErrReader(bytes.NewReader(stream)),
	} {
		fr := NewFrameReader(src)
		p, err := fr.ReadFrame()
		if err != nil || string(p) != "NONCE..." {
			t.Fatalf("%s: nonce frame = %q, %v", name, p, err)
		}
		if err := fr.EnableDecryption(testKey, testIV); err != nil {
			t.Fatal(err)
		}
		for i, want := range payloads {
			p, err := fr.ReadFrame()
			if err != nil || !bytes.Equal(p, want) {
				t.Fatalf("%s: frame %d = %v, %v", name, i, p, err)
			}
		}
		if _, err := fr.ReadFrame(); err != io.EOF {
			t.Fatalf("%s: at end: %v, want io.EOF", name, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, encrypted := range []bool{false, true} {
		for _, sum := range []Checksum{ChecksumCRC32, ChecksumCRC32C} {
			var stream bytes.Buffer
			fw, fr := NewFrameWriter(&stream), NewFrameReader(&stream)
			if encrypted {
				must(t, fw.EnableEncryption(testKey, testIV))
				must(t, fr.EnableDecryption(testKey, testIV))
			}
			fw.SetChecksum(sum)
			fr.SetChecksum(sum)
			var sent [][]byte
			for i := range 300 {
				n := 4 * rng.IntN(64)
				if i%50 == 0 {
					n = 4 * rng.IntN(100_000)
				}
				p := make([]byte, n)
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				sent = append(sent, p)
				must(t, fw.QueueFrame(p))
				if rng.IntN(3) == 0 {
					must(t, fw.Flush())
				}
			}
			must(t, fw.Flush())
			if encrypted && stream.Len()%16 != 0 {
				t.Fatalf("encrypted stream of %d bytes is not block aligned", stream.Len())
			}
			for i, want := range sent {
				got, err := fr.ReadFrame()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("enc=%v %v: frame %d: %d bytes, %v; want %d bytes", encrypted, sum, i, len(got), err, len(want))
				}
			}
			if fr.Seq() != fw.Seq() || fw.Seq() != SeqNonce+300 {
				t.Errorf("seq: reader %d, writer %d", fr.Seq(), fw.Seq())
			}
		}
	}
}

func TestPayloadInPlace(t *testing.T) {
	var a, b bytes.Buffer
	fa, fb := NewFrameWriter(&a), NewFrameWriter(&b)
	must(t, fa.EnableEncryption(testKey, testIV))
	must(t, fb.EnableEncryption(testKey, testIV))
	for i, n := range []int{0, 4, 40, 1000, 70_000, 8} {
		data := bytes.Repeat([]byte{byte(i + 1)}, n)
		hint := n
		if i == 4 {
			hint = 10 // too small: append reallocates, the copy path must kick in
		}
		p := append(fa.Payload(hint), data...)
		must(t, fa.QueueFrame(p))
		must(t, fb.QueueFrame(data))
		if i%2 == 1 {
			must(t, fa.Flush())
			must(t, fb.Flush())
		}
	}
	must(t, fa.Flush())
	must(t, fb.Flush())
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("in-place payloads produce different output than copied ones")
	}
}

type countingWriter struct {
	writes int
	bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return c.Buffer.Write(p) }

func TestOneWritePerFlush(t *testing.T) {
	var cw countingWriter
	fw := NewFrameWriter(&cw)
	must(t, fw.EnableEncryption(testKey, testIV))
	for range 10 {
		must(t, fw.QueueFrame(make([]byte, 20)))
	}
	if cw.writes != 0 || fw.Buffered() == 0 {
		t.Fatalf("QueueFrame wrote (%d writes, %d buffered)", cw.writes, fw.Buffered())
	}
	must(t, fw.Flush())
	must(t, fw.Flush()) // nothing queued: no write
	must(t, fw.WriteFrame(make([]byte, 4)))
	if cw.writes != 2 {
		t.Errorf("%d writes, want 2", cw.writes)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
