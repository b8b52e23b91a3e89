package proxy

import (
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkRelay measures the relay on loopback: one client streams to the
// DC through the relay (and the DC streams back in the "duplex" case),
// with the obfuscated2 ciphers of both sides and, for FakeTLS, record
// framing. b.SetBytes counts the payload one way, so ns/op and MB/s are
// per payload byte crossing the proxy. The client and DC ends run in the
// same process, so the machine's cores are shared by all four ends.
func BenchmarkRelay(b *testing.B) {
	for _, c := range []struct {
		name   string
		tls    bool
		duplex bool
	}{
		{"obfuscated2/upload", false, false},
		{"obfuscated2/duplex", false, true},
		{"faketls/upload", true, false},
		{"faketls/duplex", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			rig := newRelayRig(b, c.tls, time.Minute, newBufferPool(16<<10, DefaultBulkBuffers))
			const chunk = 64 << 10
			payload := randBytes(chunk)
			b.SetBytes(chunk)
			b.ReportAllocs()
			sink := func(r io.Reader, n int64) <-chan error {
				done := make(chan error, 1)
				go func() {
					_, err := io.CopyN(io.Discard, r, n)
					done <- err
				}()
				return done
			}
			total := int64(b.N) * chunk
			upDone := sink(rig.dc, total)
			var downDone <-chan error
			if c.duplex {
				downDone = sink(rig.client, total)
				go func() {
					for i := 0; i < b.N; i++ {
						if _, err := rig.dc.Write(payload); err != nil {
							return
						}
					}
				}()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := rig.client.Write(payload); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-upDone; err != nil {
				b.Fatal(err)
			}
			if downDone != nil {
				if err := <-downDone; err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			rig.client.raw.(*net.TCPConn).Close()
			rig.dc.raw.(*net.TCPConn).Close()
			rig.wait(b)
		})
	}
}
