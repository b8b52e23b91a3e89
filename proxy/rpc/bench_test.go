package rpc

import (
	"io"
	"testing"
)

// loop is an in-memory pipe that reuses its storage once drained, so the
// benchmarks measure the frame layer and not buffer growth.
type loop struct {
	b []byte
	r int
}

func (l *loop) Write(p []byte) (int, error) {
	if l.r == len(l.b) {
		l.b, l.r = l.b[:0], 0
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *loop) Read(p []byte) (int, error) {
	if l.r == len(l.b) {
		return 0, io.EOF
	}
	n := copy(p, l.b[l.r:])
	l.r += n
	return n, nil
}

func encryptedPair(t testing.TB, sum Checksum) (*FrameWriter, *FrameReader) {
	l := &loop{}
	fw, fr := NewFrameWriter(l), NewFrameReader(l)
	must(t, fw.EnableEncryption(testKey, testIV))
	must(t, fr.EnableDecryption(testKey, testIV))
	fw.SetChecksum(sum)
	fr.SetChecksum(sum)
	return fw, fr
}

func benchmarkFrame(b *testing.B, size int) {
	fw, fr := encryptedPair(b, ChecksumCRC32C)
	payload := make([]byte, size)
	must(b, fw.WriteFrame(payload)) // warm up: grow the buffers once
	if _, err := fr.ReadFrame(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := fw.WriteFrame(payload); err != nil {
			b.Fatal(err)
		}
		if _, err := fr.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptedFrame1KiB(b *testing.B)  { benchmarkFrame(b, 1<<10) }
func BenchmarkEncryptedFrame64KiB(b *testing.B) { benchmarkFrame(b, 64<<10) }

// BenchmarkProxyReqInPlace builds an RPC_PROXY_REQ directly in the writer's
// buffer, as a pool would, and reads it back.
func BenchmarkProxyReqInPlace(b *testing.B) {
	fw, fr := encryptedPair(b, ChecksumCRC32C)
	tag := AdTag{}
	req := &ProxyReq{Flags: FlagMagic, ConnID: 1, AdTag: &tag}
	packet := make([]byte, 1<<10)
	b.SetBytes(int64(len(packet)))
	b.ReportAllocs()
	for b.Loop() {
		p := fw.Payload(ProxyReqHeaderSize(true) + len(packet))
		p = append(AppendProxyReqHeader(p, req), packet...)
		if err := fw.WriteFrame(p); err != nil {
			b.Fatal(err)
		}
		got, err := fr.ReadFrame()
		if err != nil || len(got) != len(p) {
			b.Fatal(err)
		}
	}
}

// TestSteadyStateZeroAllocs pins what the benchmarks report: once the
// buffers have grown, writing and reading frames allocates nothing.
func TestSteadyStateZeroAllocs(t *testing.T) {
	for _, sum := range []Checksum{ChecksumCRC32, ChecksumCRC32C} {
		fw, fr := encryptedPair(t, sum)
		big := appendProxyAns(nil, 0, 1, make([]byte, 64<<10))
		small := appendProxyAns(nil, 0, 2, make([]byte, 100))
		run := func() {
			must(t, fw.WriteFrame(big))
			must(t, fw.QueueFrame(small))
			must(t, fw.QueueFrame(small))
			must(t, fw.Flush())
			for range 3 {
				p, err := fr.ReadFrame()
				must(t, err)
				if m, err := ParseServerMessage(p); err != nil || m.Type != TypeProxyAns {
					t.Fatalf("%+v, %v", m.Type, err)
				}
			}
		}
		run() // warm up: grow buffers
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%v: %.1f allocations per round", sum, n)
		}
	}
}
