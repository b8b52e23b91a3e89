package tlsprofile

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

const domain = "front.example"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wireRecord is a record as parsed from bytes a server wrote.
type wireRecord struct {
	typ  byte
	body []byte // with the header
}

func parseRecords(t *testing.T, b []byte) []wireRecord {
	t.Helper()
	var out []wireRecord
	for len(b) >= 5 {
		n := 5 + int(binary.BigEndian.Uint16(b[3:5]))
		if len(b) < n {
			t.Fatalf("a record cut short: %d of %d bytes", len(b), n)
		}
		out = append(out, wireRecord{b[0], b[:n]})
		b = b[n:]
	}
	if len(b) > 0 {
		t.Fatalf("%d bytes after the records", len(b))
	}
	return out
}

// The probe records exactly the records Go's TLS server wrote: their types
// and sizes, the ServerHello as sent, and a profile whose flight carries as
// many bytes.
func TestProbeRecordsTheSitesFlight(t *testing.T) {
	f := tlsfront.Start(t, domain)
	ob, err := Probe(ctx(t), Options{Addr: f.Addr(), ServerName: domain})
	if err != nil {
		t.Fatal(err)
	}
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if conns[0].SNI != domain {
		t.Fatalf("the site saw SNI %q", conns[0].SNI)
	}
	written := parseRecords(t, conns[0].Written)
	if len(written) != len(ob.Records) {
		t.Fatalf("the site wrote %d records, the probe saw %d: %+v", len(written), len(ob.Records), ob.Records)
	}
	for i, w := range written {
		if r := ob.Records[i]; r.Type != w.typ || r.Len != len(w.body)-5 || r.Last < r.First {
			t.Fatalf("record %d: probe saw %+v, the site wrote type %#02x of %d bytes", i, r, w.typ, len(w.body)-5)
		}
	}
	sh, err := faketls.ParseServerHello(written[0].body)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(sh.Extensions, ob.ServerHello.Extensions, func(a, b faketls.Extension) bool {
		return a.Type == b.Type && bytes.Equal(a.Data, b.Data)
	}) || sh.CipherSuite != ob.ServerHello.CipherSuite {
		t.Fatalf("ServerHello %+v, probe parsed %+v", sh, ob.ServerHello)
	}
	// Go's server picks the hybrid group our clients offer first.
	p := ob.Profile
	if !ob.CCS || p.Group != faketls.GroupX25519MLKEM768 || p.CipherSuite != sh.CipherSuite || p.Noise != DefaultNoise {
		t.Fatalf("profile %+v (ccs %t)", p, ob.CCS)
	}
	encWire := 0
	for _, w := range written[2:] {
		encWire += len(w.body)
	}
	if p.StandInLen()+5 != encWire || len(p.Records) != len(written)-2 {
		t.Fatalf("stand-in record of %d bytes for %d encrypted bytes on the wire", p.StandInLen(), encWire)
	}
	t.Logf("observed: %s", &ob)
}

// Flights shaped after the profile look like the site's to a passive
// observer: the same ServerHello size and extension order, a
// ChangeCipherSpec, and encrypted bytes within the noise, across 50
// handshakes of Telegram-shaped clients.
func TestShapedFlightsMatchTheSite(t *testing.T) {
	f := tlsfront.Start(t, domain)
	ob, err := Probe(ctx(t), Options{Addr: f.Addr(), ServerName: domain, Noise: 4})
	if err != nil {
		t.Fatal(err)
	}
	conns, err := f.WaitConns(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	site := parseRecords(t, conns[0].Written)
	siteEnc := 0
	for _, w := range site[2:] {
		siteEnc += len(w.body)
	}
	sizes := map[int]bool{}
	for i := range 50 {
		var secret [16]byte
		rand.Read(secret[:])
		raw, random, err := faketls.BuildClientHello(rand.Reader, secret, faketls.HelloOptions{Domain: domain, Timestamp: uint32(i)})
		if err != nil {
			t.Fatal(err)
		}
		_, rec, err := faketls.ReadClientHello(bytes.NewReader(raw), make([]byte, faketls.HelloBufferSize))
		if err != nil {
			t.Fatal(err)
		}
		hello, err := faketls.ParseClientHello(rec)
		if err != nil {
			t.Fatal(err)
		}
		fl, err := faketls.ServerFlight(rand.Reader, secret, hello, &ob.Profile)
		if err != nil {
			t.Fatal(err)
		}
		got, err := faketls.ReadServerFlight(bytes.NewReader(fl.Bytes))
		if err != nil || faketls.VerifyServerFlight(secret, random, got) != nil {
			t.Fatalf("a client rejects the flight: %v", err)
		}
		ours := parseRecords(t, fl.Bytes)
		if len(ours[0].body) != len(site[0].body) || !bytes.Equal(ours[1].body, site[1].body) {
			t.Fatalf("ServerHello of %d bytes (site %d), then %x", len(ours[0].body), len(site[0].body), ours[1].body)
		}
		if d := len(ours[2].body) - siteEnc; d < -4 || d > 4 {
			t.Fatalf("flight %d: %d encrypted bytes, the site sends %d", i, len(ours[2].body), siteEnc)
		}
		sizes[len(ours[2].body)] = true
	}
	if len(sizes) < 2 {
		t.Error("50 flights of one size: no noise")
	}
}

func TestProbeFailures(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	// answering is a stand-in site writing answer to any hello, then
	// holding the connection open until the probe leaves.
	answering := func(answer []byte) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.Read(make([]byte, 4096))
					c.Write(answer)
					io.Copy(io.Discard, c)
				}()
			}
		}()
		return ln.Addr().String()
	}
	tls12 := tlsfront.StartWith(t, domain, tlsfront.Options{MaxVersion: tls.VersionTLS12})
	p256 := tlsfront.StartWith(t, domain, tlsfront.Options{CurvePreferences: []tls.CurveID{tls.CurveP256}})
	cases := []struct {
		name string
		addr string
		want Result
	}{
		{"nobody listening", closed(), ResultDialFailed},
		{"plain HTTP", answering([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")), ResultNotTLS13},
		{"TLS 1.2 only", tls12.Addr(), ResultNotTLS13},
		{"another group", p256.Addr(), ResultRetryRequest},
		{"alert", answering([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}), ResultBadAnswer},
		{"silence", answering(nil), ResultTimeout},
	}
	for _, c := range cases {
		o := Options{Addr: c.addr, ServerName: domain}
		if c.want == ResultTimeout {
			o.Timeout = 500 * time.Millisecond
		}
		_, err := Probe(ctx(t), o)
		if ResultOf(err) != c.want {
			t.Errorf("%s: %v (%s), want %s", c.name, err, ResultOf(err), c.want)
		}
	}
}

// A site that pauses between its ServerHello and its encrypted records is
// waited for: the flight ends only when the site has been quiet for Settle.
func TestProbeWaitsForAPausingSite(t *testing.T) {
	f := tlsfront.Start(t, domain)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		up, err := net.Dial("tcp", f.Addr())
		if err != nil {
			return
		}
		defer up.Close()
		go io.Copy(up, c)
		// Relay the site's answer, holding back everything after the first
		// 100 bytes (inside the ServerHello) for a while.
		var first [100]byte
		if _, err := io.ReadFull(up, first[:]); err != nil {
			return
		}
		c.Write(first[:])
		time.Sleep(100 * time.Millisecond) // the pause being tested, not a wait for an event
		io.Copy(c, up)
	}()
	ob, err := Probe(ctx(t), Options{Addr: ln.Addr().String(), ServerName: domain, Settle: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(ob.Encrypted()) == 0 || !ob.CCS {
		t.Fatalf("observed %s", &ob)
	}
}

func TestSplitsFollowPauses(t *testing.T) {
	ms := time.Millisecond
	ob := Observation{Records: []Record{
		{Type: 0x16, Len: 122, First: 10 * ms, Last: 10 * ms},
		{Type: 0x14, Len: 1, First: 10 * ms, Last: 10 * ms},
		{Type: 0x17, Len: 30, First: 20 * ms, Last: 20 * ms},
		{Type: 0x17, Len: 2000, First: 20 * ms, Last: 21 * ms},
		{Type: 0x17, Len: 80, First: 40 * ms, Last: 40 * ms},
	}}
	// Pauses before the first and the third encrypted records: after our
	// ChangeCipherSpec (127+6), and 35+2005 bytes into our stand-in record.
	want := []int{127 + 6, 127 + 6 + 35 + 2005}
	if got := ob.splits(5 * ms); !slices.Equal(got, want) {
		t.Fatalf("splits %v, want %v", got, want)
	}
	if got := ob.splits(time.Second); len(got) != 0 {
		t.Fatalf("splits %v with no pause that long", got)
	}
	// Without a ChangeCipherSpec, a pause after the ServerHello splits
	// there.
	noCCS := Observation{Records: []Record{ob.Records[0], ob.Records[2]}}
	if got := noCCS.splits(5 * ms); !slices.Equal(got, []int{127}) {
		t.Fatalf("splits %v", got)
	}
}
