package faketls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"slices"
	"testing"
	"time"
)

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
			sh, err := ParseServerHello(first)
			if err != nil {
				t.Fatalf("%s/%d: Go answered %x: %v", name, seed, first[:min(len(first), 16)], err)
			}
			if sh.RetryRequest {
				t.Fatalf("%s/%d: Go asked for another key share", name, seed)
			}
			// Go took the hybrid share: the ML-KEM key has a valid encoding.
			if sh.Group != GroupX25519MLKEM768 || sh.KeyShareLen != 1120 || sh.Version != 0x0304 {
				t.Fatalf("%s/%d: Go chose group %#04x with a %d-byte share, version %#04x", name, seed, sh.Group, sh.KeyShareLen, sh.Version)
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
