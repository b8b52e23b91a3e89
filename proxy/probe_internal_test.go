package proxy

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"io"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// The first FakeTLS records to a client are small and grow, as TLS servers
// send them after a handshake; then they are full. The payload arrives
// intact and in order, however it was cut.
func TestDynamicRecordSizing(t *testing.T) {
	for _, c := range []struct {
		name             string
		initial, ramp    int
		writes           []int
		wantRecordSizes  []int
		wantRecordsAfter int
	}{
		{"ramp", 1000, 4, []int{16384, 16384},
			[]int{1000, 2000, 3000, 4000, 6384, 16384}, 4},
		{"small writes count too", 1000, 3, []int{500, 500, 5000},
			[]int{500, 500, 3000, 2000}, 3},
		{"off", 0, 0, []int{16384, 100}, []int{16384, 100}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := tcpPair(t)
			block, _ := aes.NewCipher(make([]byte, 16))
			iv := make([]byte, 16)
			pool := newBufferPool(DefaultBufferSize, DefaultBulkBuffers)
			cc := &ClientConn{
				conn: a, tls: true, enc: cipher.NewCTR(block, iv), traffic: new(Traffic), bufs: pool,
				chunk: faketls.MaxRecordPayload, rec: newRecordSizing(c.initial, c.ramp),
			}
			var want []byte
			for i, n := range c.writes {
				p := make([]byte, n)
				for j := range p {
					p[j] = byte(i + j)
				}
				want = append(want, p...)
				if _, err := cc.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			a.CloseWrite()
			stream, err := io.ReadAll(b)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			var got []byte
			for len(stream) > 0 {
				if stream[0] != faketls.TypeApplicationData || stream[1] != 3 || stream[2] != 3 {
					t.Fatalf("record header %x", stream[:5])
				}
				n := int(binary.BigEndian.Uint16(stream[3:5]))
				sizes = append(sizes, n)
				got = append(got, stream[5:5+n]...)
				stream = stream[5+n:]
			}
			if !slices.Equal(sizes, c.wantRecordSizes) {
				t.Fatalf("record sizes %v, want %v", sizes, c.wantRecordSizes)
			}
			cipher.NewCTR(block, iv).XORKeyStream(got, got)
			if !slices.Equal(got, want) {
				t.Fatal("the payload changed")
			}
			if cc.records != c.wantRecordsAfter {
				t.Fatalf("%d records counted", cc.records)
			}
		})
	}
}

// The first bytes are told apart as soon as they allow.
func TestOpeningKind(t *testing.T) {
	tlsOn := &Proxy{o: Options{TLSDomain: "example.com"}}
	tlsOnly := &Proxy{o: Options{TLSDomain: "example.com", TLSOnly: true}}
	ddOnly := &Proxy{}
	header := make([]byte, 64)
	for i := range header {
		header[i] = byte(0x11 + 5*i)
	}
	cases := []struct {
		name  string
		p     *Proxy
		b     string
		kind  int
		known bool
	}{
		{"nothing yet", tlsOn, "", 0, false},
		{"maybe a hello", tlsOn, "\x16\x03", openingTLS, false},
		{"a hello", tlsOn, "\x16\x03\x01", openingTLS, true},
		{"TLS 1.2 record version", tlsOn, "\x16\x03\x03\x02", openingTLS, true},
		{"not a hello, TLS only", tlsOnly, "\x16\x02", openingNotTLS, true},
		{"HTTP, TLS only", tlsOnly, "G", openingNotTLS, true},
		{"HTTP", tlsOn, "GET ", openingImpossible, true},
		{"HTTP, not yet", tlsOn, "GET", openingObfuscated2, false},
		{"HTTP without TLS", ddOnly, "POST /", openingImpossible, true},
		{"a hello without TLS", ddOnly, "\x16\x03\x01\x02\x00", openingImpossible, true},
		{"half a header", ddOnly, string(header[:32]), openingObfuscated2, false},
		{"a header", ddOnly, string(header), openingObfuscated2, true},
	}
	for _, c := range cases {
		kind, known := c.p.openingKind([]byte(c.b))
		if known != c.known || known && kind != c.kind {
			t.Errorf("%s: kind %d known %t, want %d %t", c.name, kind, known, c.kind, c.known)
		}
	}
}

func TestLoopGuard(t *testing.T) {
	var g loopGuard
	now := time.Unix(1_700_000_000, 0)
	dialed := netip.MustParseAddrPort("127.0.0.1:40000")
	sent := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	g.started(dialed, sent, now)
	if !g.loops(dialed, sent[:4], true, now) {
		t.Fatal("our own splice's socket is no loop")
	}
	// A local client sending the same bytes from another socket is no loop.
	if g.loops(netip.MustParseAddrPort("127.0.0.1:40001"), sent, true, now) {
		t.Fatal("a loopback client with the same bytes taken for a loop")
	}
	// Through a NAT: our public address, another port, the same bytes.
	public := netip.MustParseAddrPort("203.0.113.7:5555")
	if !g.loops(public, sent[:8], true, now) {
		t.Fatal("our bytes back from our public address are no loop")
	}
	if g.loops(public, []byte("GET /other"), true, now) || g.loops(public, sent, false, now) ||
		g.loops(public, sent, true, now.Add(loopWindow)) || g.loops(public, sent[:3], true, now) {
		t.Fatal("a loop found where there is none")
	}
	g.ended(dialed)
	if g.loops(dialed, nil, true, now) {
		t.Fatal("an ended splice's socket is still a loop")
	}
}
