package client

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// acceptor is a tiny proxy-side peer for testing the client without the
// proxy: it accepts obfuscated2 and FakeTLS handshakes with the library
// functions the proxy uses, then answers req_pq_multi with a resPQ, quick-ACK
// requests with a token, and echoes other packets.
type acceptor struct {
	t       *testing.T
	ln      net.Listener
	secrets [][16]byte
	domain  string
	// flightSecret, when set, answers every hello with a flight made with
	// this secret, whether the hello verified or not (a man in the middle).
	flightSecret *[16]byte

	mu       sync.Mutex
	sessions []session
	randoms  map[[32]byte]bool // replay cache of accepted hellos
	headers  map[[16]byte]bool // replay cache of obfuscated2 headers
	wg       sync.WaitGroup
}

// session is what the acceptor learnt from one connection.
type session struct {
	hello     []byte // raw hello records
	sni       string
	timestamp uint32
	tlsErr    error
	accepted  obfuscated2.Accepted
	err       error // why the handshake failed, nil if it passed
}

func startAcceptor(t *testing.T, domain string, secrets ...[16]byte) *acceptor {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &acceptor{t: t, ln: ln, secrets: secrets, domain: domain,
		randoms: map[[32]byte]bool{}, headers: map[[16]byte]bool{}}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			a.wg.Add(1)
			go func() { defer a.wg.Done(); defer nc.Close(); a.serve(nc) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); a.wg.Wait() })
	return a
}

func (a *acceptor) addr() string { return a.ln.Addr().String() }

func (a *acceptor) last() session {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.sessions) == 0 {
		return session{}
	}
	return a.sessions[len(a.sessions)-1]
}

// waitSessions waits until n handshakes have been recorded.
func (a *acceptor) waitSessions(n int) []session {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		a.mu.Lock()
		if len(a.sessions) >= n {
			s := append([]session(nil), a.sessions...)
			a.mu.Unlock()
			return s
		}
		a.mu.Unlock()
	}
	a.t.Fatalf("fewer than %d handshakes", n)
	return nil
}

func (a *acceptor) record(s session) {
	a.mu.Lock()
	a.sessions = append(a.sessions, s)
	a.mu.Unlock()
}

func (a *acceptor) serve(nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	var s session
	var under io.ReadWriter = nc
	// A FakeTLS hello starts with the record prefix 16 03 01; an
	// obfuscated2 header starts with 0x16 one time in 256, with the three
	// bytes one time in 16 million.
	first := make([]byte, 3)
	if _, err := io.ReadFull(nc, first); err != nil {
		return
	}
	src := io.MultiReader(bytes.NewReader(first), nc)
	if bytes.Equal(first, []byte{faketls.TypeHandshake, 3, 1}) {
		var err error
		if under, err = a.fakeTLS(src, nc, &s); err != nil {
			s.err = err
			a.record(s)
			return
		}
		src = under
	}
	var hdr [obfuscated2.HeaderLen]byte
	if _, err := io.ReadFull(src, hdr[:]); err != nil {
		s.err = err
		a.record(s)
		return
	}
	acc, err := obfuscated2.Accept(&hdr, a.secrets)
	if err == nil && a.replayedHeader(acc.ReplayKey) {
		err = errors.New("replayed header")
	}
	s.accepted, s.err = acc, err
	a.record(s)
	if err != nil {
		return
	}
	_ = nc.SetDeadline(time.Time{})
	a.echo(cipher.StreamReader{S: acc.Decrypt, R: src}, cipher.StreamWriter{S: acc.Encrypt, W: under}, acc.Transport)
}

func (a *acceptor) replayedHeader(k [16]byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := a.headers[k]
	a.headers[k] = true
	return seen
}

// fakeTLS runs the server side of the FakeTLS handshake and returns the
// record stream.
func (a *acceptor) fakeTLS(src io.Reader, nc net.Conn, s *session) (io.ReadWriter, error) {
	raw, record, err := faketls.ReadClientHello(src, make([]byte, 0, faketls.HelloBufferSize))
	s.hello = append([]byte(nil), raw...)
	if err != nil {
		return nil, err
	}
	hello, err := faketls.ParseClientHello(record)
	if err != nil {
		return nil, err
	}
	s.sni = hello.ServerName
	idx, ts, verr := faketls.Verify(record, a.secrets)
	s.timestamp = ts
	switch {
	case verr != nil:
		s.tlsErr = verr
	case hello.ServerName != a.domain:
		s.tlsErr = fmt.Errorf("SNI %q", hello.ServerName)
	case faketls.CheckTimestamp(ts, time.Now(), 2*time.Minute, false) != nil:
		s.tlsErr = faketls.ErrStaleTimestamp
	case a.replayedRandom(hello.Random):
		s.tlsErr = errors.New("replayed hello")
	}
	secret := [16]byte{}
	switch {
	case a.flightSecret != nil:
		secret = *a.flightSecret
	case s.tlsErr != nil:
		return nil, s.tlsErr
	default:
		secret = a.secrets[idx]
	}
	profile, err := faketls.FallbackProfile(rand.Reader)
	if err != nil {
		return nil, err
	}
	profile.Splits = []int{100} // the client reassembles a flight cut anywhere
	flight, err := faketls.ServerFlight(rand.Reader, secret, hello, &profile)
	if err != nil {
		return nil, err
	}
	if _, err := flight.WriteTo(nc); err != nil {
		return nil, err
	}
	if s.tlsErr != nil {
		return nil, s.tlsErr
	}
	ccs := make([]byte, 6)
	if _, err := io.ReadFull(src, ccs); err != nil || !bytes.Equal(ccs, faketls.AppendChangeCipherSpec(nil)) {
		return nil, fmt.Errorf("no ChangeCipherSpec: %x %v", ccs, err)
	}
	return faketls.NewConn(nc), nil
}

func (a *acceptor) replayedRandom(r [32]byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := a.randoms[r]
	a.randoms[r] = true
	return seen
}

// acceptorToken is the quick-ACK token the acceptor answers with.
func acceptorToken(pkt []byte) uint32 { return binary.LittleEndian.Uint32(pkt) | 1<<31 }

// echo serves packets until the stream ends.
func (a *acceptor) echo(r io.Reader, w io.Writer, t framing.Transport) {
	rd := framing.NewReader(r, t, 0)
	wr := framing.NewWriter(w, t, nil)
	for {
		pkt, quickAck, err := rd.ReadPacket()
		if err != nil {
			return
		}
		if quickAck {
			if wr.WriteQuickAck(acceptorToken(pkt)) != nil {
				return
			}
		}
		answer := pkt
		if _, nonce, err := mtproto.ParseReqPQMulti(pkt); err == nil {
			r := mtproto.ResPQ{Nonce: nonce, PQ: mtproto.DefaultPQ, Fingerprints: []int64{mtproto.DefaultFingerprint}}
			answer = r.Append(nil, mtproto.MsgID(time.Now(), mtproto.ServerResponse))
		}
		if wr.WritePacket(answer, false) != nil {
			return
		}
	}
}
