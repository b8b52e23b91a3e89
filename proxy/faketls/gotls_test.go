package faketls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"slices"
	"testing"
	"time"
)

// helloRetryRandom is the server_random marking a HelloRetryRequest (RFC 8446 4.1.3).
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: testDomain},
		DNSNames:     []string{testDomain},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Go's own TLS server is the independent judge of the hello's syntax: it
// must parse it, see the fields we put in, accept a key share (so it answers
// with a real ServerHello, not a HelloRetryRequest or an alert).
func TestGoTLSAcceptsBuiltHello(t *testing.T) {
	cert := selfSigned(t)
	for name, o := range map[string]HelloOptions{
		"modern":           {Domain: testDomain, Timestamp: 1},
		"16 KB, 3 records": {Domain: testDomain, PadTo: MaxHelloSize, SplitAt: []int{1, 9000}},
	} {
		for seed := range byte(4) {
			hello, _ := buildHello(t, seed, o)
			info, first := tlsServerSees(t, cert, hello)
			if info == nil {
				t.Fatalf("%s/%d: Go's TLS server did not get to GetConfigForClient", name, seed)
			}
			if info.ServerName != testDomain ||
				!slices.Contains(info.SupportedVersions, tls.VersionTLS13) ||
				!slices.Contains(info.CipherSuites, tls.TLS_AES_128_GCM_SHA256) ||
				!slices.Contains(info.SupportedCurves, tls.X25519MLKEM768) ||
				!slices.Contains(info.SupportedCurves, tls.X25519) ||
				!slices.Equal(info.SupportedProtos, []string{"h2", "http/1.1"}) {
				t.Fatalf("%s/%d: Go sees %+v", name, seed, info)
			}
			for _, ext := range []uint16{0x0000, 0x0033, 0x002b, 0x002d, 0xfe0d} {
				if !slices.Contains(info.Extensions, ext) {
					t.Fatalf("%s/%d: Go does not see extension %#04x in %x", name, seed, ext, info.Extensions)
				}
			}
			if o.PadTo > 0 && !slices.Contains(info.Extensions, 0x0015) {
				t.Fatalf("%s/%d: padding extension missing", name, seed)
			}
			// 16 03 03 <len> 02 <len24> 03 03 <server_random>
			if len(first) < 43 || first[0] != 0x16 || first[5] != 0x02 {
				t.Fatalf("%s/%d: Go answered %x, want a ServerHello", name, seed, first[:min(len(first), 16)])
			}
			if bytes.Equal(first[11:43], helloRetryRandom) {
				t.Fatalf("%s/%d: Go asked for another key share", name, seed)
			}
			// Go took the hybrid share: the ML-KEM key has a valid encoding.
			if g := serverKeyShareGroup(t, first); g != uint16(tls.X25519MLKEM768) {
				t.Fatalf("%s/%d: Go chose group %#04x", name, seed, g)
			}
		}
	}
}

// tlsServerSees writes hello to a crypto/tls server on loopback and returns
// what its GetConfigForClient saw and the first record it answered with.
func tlsServerSees(t *testing.T, cert tls.Certificate, hello []byte) (*tls.ClientHelloInfo, []byte) {
	t.Helper()
	client, server := tcpPair(t)
	infos := make(chan *tls.ClientHelloInfo, 1)
	done := make(chan error, 1)
	go func() {
		s := tls.Server(server, &tls.Config{
			Certificates: []tls.Certificate{cert},
			GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
				infos <- h
				return nil, nil
			},
		})
		done <- s.Handshake()
		server.Close()
	}()
	if _, err := client.Write(hello); err != nil {
		t.Fatal(err)
	}
	var h [5]byte
	if _, err := io.ReadFull(client, h[:]); err != nil {
		t.Fatalf("no answer: %v (server: %v)", err, <-done)
	}
	first := make([]byte, 5+int(h[3])<<8|int(h[4]))
	copy(first, h[:])
	if _, err := io.ReadFull(client, first[5:]); err != nil {
		t.Fatal(err)
	}
	client.Close()
	t.Logf("server handshake ended with: %v", <-done) // our side hangs up: any error but a parse error
	select {
	case info := <-infos:
		return info, first
	default:
		return nil, first
	}
}

// serverKeyShareGroup returns the group of a ServerHello record's key_share.
func serverKeyShareGroup(t *testing.T, rec []byte) uint16 {
	t.Helper()
	p := 5 + 4 + 2 + 32
	p += 1 + int(rec[p]) + 2 + 1 // session id, suite, compression
	end := p + 2 + int(binary.BigEndian.Uint16(rec[p:]))
	for p += 2; p+4 <= end; p += 4 + int(binary.BigEndian.Uint16(rec[p+2:])) {
		if binary.BigEndian.Uint16(rec[p:]) == 0x0033 {
			return binary.BigEndian.Uint16(rec[p+4:])
		}
	}
	t.Fatalf("no key_share in %x", rec)
	return 0
}
