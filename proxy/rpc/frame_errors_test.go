package rpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"testing/iotest"
)

func readErr(t *testing.T, stream []byte) error {
	t.Helper()
	fr := NewFrameReader(bytes.NewReader(stream))
	_, err := fr.ReadFrame()
	if err == nil {
		t.Fatal("ReadFrame succeeded")
	}
	// Sticky: the same error again, even though bytes may follow.
	if _, err2 := fr.ReadFrame(); err2 != err {
		t.Errorf("second ReadFrame = %v, want the sticky %v", err2, err)
	}
	return err
}

func TestReaderChecksumError(t *testing.T) {
	f := handFrame(-2, []byte("abcdefgh"), crc32.IEEETable)
	f[9] ^= 1
	if err := readErr(t, f); !errors.Is(err, ErrChecksum) {
		t.Errorf("flipped payload bit: %v", err)
	}
	// A CRC32 frame read by a CRC32C reader.
	fr := NewFrameReader(bytes.NewReader(handFrame(-2, []byte("abcd"), crc32.IEEETable)))
	fr.SetChecksum(ChecksumCRC32C)
	if _, err := fr.ReadFrame(); !errors.Is(err, ErrChecksum) {
		t.Errorf("wrong CRC kind: %v", err)
	}
}

func TestReaderSeqError(t *testing.T) {
	if err := readErr(t, handFrame(0, []byte("abcd"), crc32.IEEETable)); !errors.Is(err, ErrSeqMismatch) {
		t.Errorf("seq 0 first: %v", err)
	}
	stream := append(handFrame(-2, nil, crc32.IEEETable), handFrame(0, nil, crc32.IEEETable)...)
	fr := NewFrameReader(bytes.NewReader(stream))
	must(t, func() error { _, err := fr.ReadFrame(); return err }())
	if _, err := fr.ReadFrame(); !errors.Is(err, ErrSeqMismatch) {
		t.Errorf("skipped seq -1: %v", err)
	}
}

func TestReaderBadLengths(t *testing.T) {
	for _, n := range []int32{0, 8, 6, 13, -4, -12, 2} {
		stream := binary.LittleEndian.AppendUint32(nil, uint32(n))
		stream = append(stream, make([]byte, 64)...)
		if err := readErr(t, stream); !errors.Is(err, ErrFrameLength) {
			t.Errorf("len %d: %v", n, err)
		}
	}
}

func TestFrameTooLarge(t *testing.T) {
	stream := binary.LittleEndian.AppendUint32(nil, uint32(DefaultMaxFrameSize+4))
	if err := readErr(t, stream); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("reader: %v", err)
	}
	stream = binary.LittleEndian.AppendUint32(nil, 0x7ffffffc)
	if err := readErr(t, stream); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("reader, huge: %v", err)
	}
	// Exactly at a lowered limit is fine, one word more is not.
	ok := handFrame(-2, make([]byte, 100), crc32.IEEETable)
	fr := NewFrameReader(bytes.NewReader(ok))
	fr.SetMaxFrameSize(112)
	if _, err := fr.ReadFrame(); err != nil {
		t.Errorf("frame at the limit: %v", err)
	}
	fr = NewFrameReader(bytes.NewReader(ok))
	fr.SetMaxFrameSize(108)
	if _, err := fr.ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("frame over the limit: %v", err)
	}

	var out bytes.Buffer
	fw := NewFrameWriter(&out)
	if err := fw.WriteFrame(make([]byte, DefaultMaxFrameSize)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("writer: %v", err)
	}
	// Not sticky and nothing emitted: the writer is still usable at seq -2.
	if err := fw.WriteFrame(make([]byte, DefaultMaxFrameSize-FrameOverhead)); err != nil || fw.Seq() != SeqHandshake {
		t.Errorf("largest frame: %v, seq %d", err, fw.Seq())
	}
}

func TestWriterAlignment(t *testing.T) {
	fw := NewFrameWriter(io.Discard)
	if err := fw.WriteFrame([]byte{1, 2, 3}); !errors.Is(err, ErrPayloadAlignment) {
		t.Errorf("3 bytes: %v", err)
	}
	if fw.Seq() != SeqNonce || fw.Buffered() != 0 {
		t.Error("a refused frame changed the writer")
	}
}

func TestPaddingFramesSkipped(t *testing.T) {
	stream := []byte{4, 0, 0, 0, 4, 0, 0, 0}
	stream = append(stream, handFrame(-2, []byte("data"), crc32.IEEETable)...)
	stream = append(stream, 4, 0, 0, 0)
	fr := NewFrameReader(bytes.NewReader(stream))
	p, err := fr.ReadFrame()
	if err != nil || string(p) != "data" {
		t.Fatalf("got %q, %v", p, err)
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("after trailing padding: %v, want io.EOF", err)
	}
}

func TestReaderTruncated(t *testing.T) {
	f := handFrame(-2, []byte("abcdefgh"), crc32.IEEETable)
	for _, n := range []int{1, 3, 4, 10, len(f) - 1} {
		if err := readErr(t, f[:n]); err != io.ErrUnexpectedEOF {
			t.Errorf("cut at %d: %v", n, err)
		}
	}
	// Encrypted: cut inside a block.
	enc := handEncrypt(t, cbc(t, true), handFrame(-2, []byte("abcdefgh"), crc32.IEEETable))
	fr := NewFrameReader(bytes.NewReader(enc[:20]))
	must(t, fr.EnableDecryption(testKey, testIV))
	if _, err := fr.ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Errorf("encrypted cut: %v", err)
	}
	fr = NewFrameReader(bytes.NewReader(nil))
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("empty stream: %v", err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

// stepReader hands out its chunks one per Read, with a timeout between them.
type stepReader struct {
	chunks [][]byte
	tick   bool
}

func (s *stepReader) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	if s.tick = !s.tick; s.tick {
		return 0, timeoutErr{}
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

func TestReaderResumesAfterTimeout(t *testing.T) {
	var plain []byte
	for i := range 3 {
		plain = append(plain, handFrame(int32(i-2), bytes.Repeat([]byte{byte(i)}, 12*i), crc32.IEEETable)...)
	}
	enc := handEncrypt(t, cbc(t, true), plain)
	sr := &stepReader{}
	for i := 0; i < len(enc); i += 7 {
		sr.chunks = append(sr.chunks, enc[i:min(i+7, len(enc))])
	}
	fr := NewFrameReader(sr)
	must(t, fr.EnableDecryption(testKey, testIV))
	for i := 0; i < 3; {
		p, err := fr.ReadFrame()
		if err != nil {
			if _, ok := err.(timeoutErr); !ok {
				t.Fatalf("frame %d: %v", i, err)
			}
			continue
		}
		if !bytes.Equal(p, bytes.Repeat([]byte{byte(i)}, 12*i)) {
			t.Fatalf("frame %d = %v", i, p)
		}
		i++
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n++; f.n > 1 {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	fw := NewFrameWriter(&failWriter{})
	must(t, fw.WriteFrame(make([]byte, 32)))
	err := fw.WriteFrame(make([]byte, 32))
	if err == nil {
		t.Fatal("write error lost")
	}
	if err2 := fw.QueueFrame(make([]byte, 4)); err2 != err {
		t.Errorf("after failure QueueFrame = %v", err2)
	}
	if err2 := fw.Flush(); err2 != err {
		t.Errorf("after failure Flush = %v", err2)
	}
}

func TestKeyAndIVSizes(t *testing.T) {
	fw, fr := NewFrameWriter(io.Discard), NewFrameReader(bytes.NewReader(nil))
	for _, kv := range [][2][]byte{{testKey[:16], testIV}, {testKey, testIV[:8]}, {nil, nil}} {
		if err := fw.EnableEncryption(kv[0], kv[1]); !errors.Is(err, ErrKeySize) {
			t.Errorf("writer: %v", err)
		}
		if err := fr.EnableDecryption(kv[0], kv[1]); !errors.Is(err, ErrKeySize) {
			t.Errorf("reader: %v", err)
		}
	}
	must(t, fw.EnableEncryption(testKey, testIV))
	must(t, fr.EnableDecryption(testKey, testIV))
	if err := fw.EnableEncryption(testKey, testIV); !errors.Is(err, ErrAlreadyEncrypted) {
		t.Errorf("writer twice: %v", err)
	}
	if err := fr.EnableDecryption(testKey, testIV); !errors.Is(err, ErrAlreadyEncrypted) {
		t.Errorf("reader twice: %v", err)
	}
}

// Peers whose writer pads every flush (alexbers, seriyps) follow their
// plaintext nonce frame with 04 00 00 00 before the cipher stream.
func TestPlaintextPaddingBeforeCipherStream(t *testing.T) {
	nonce := handFrame(-2, make([]byte, 32), crc32.IEEETable)
	enc := handEncrypt(t, cbc(t, true), handFrame(-1, []byte("hand"), crc32.IEEETable))
	for _, pads := range []int{0, 1, 3} {
		stream := append([]byte(nil), nonce...)
		for range pads {
			stream = append(stream, 4, 0, 0, 0)
		}
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(append(stream, enc...))
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			fr := NewFrameReader(src)
			if _, err := fr.ReadFrame(); err != nil {
				t.Fatal(err)
			}
			must(t, fr.EnableDecryption(testKey, testIV))
			if p, err := fr.ReadFrame(); err != nil || string(p) != "hand" {
				t.Errorf("%d padding words, one byte reads %v: %q, %v", pads, oneByte, p, err)
			}
		}
		// Padding and then a clean end.
		fr := NewFrameReader(bytes.NewReader(stream))
		fr.ReadFrame()
		must(t, fr.EnableDecryption(testKey, testIV))
		if _, err := fr.ReadFrame(); err != io.EOF {
			t.Errorf("%d padding words then end: %v", pads, err)
		}
	}
}
