package fakemiddle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

// Mode switches failure behaviours on for connections accepted from then on.
type Mode int32

// Modes.
const (
	// ModeNormal: the protocol as a middle proxy speaks it.
	ModeNormal Mode = iota
	// ModeRefuse: answer the handshake with RPC_HANDSHAKE_ERROR.
	ModeRefuse
	// ModeGarbage: answer the client's nonce with bytes that are not a
	// frame (an HTTP error).
	ModeGarbage
	// ModeCloseOnAccept: close every connection as soon as it is accepted.
	ModeCloseOnAccept
	// ModeSilent: read the client's nonce, never answer.
	ModeSilent
	// ModeMute: complete the handshake, then read everything and write
	// nothing (no answers, no pongs).
	ModeMute
	// ModeStall: complete the handshake, then stop reading (established
	// connections too, after the frame being read): a middle proxy stuck
	// so that the client's writes block once the socket buffers fill.
	ModeStall
)

// Options configure a Server.
type Options struct {
	// Secret is the proxy secret (getProxySecret); required.
	Secret []byte
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// ExpectClientIP, when valid, replaces the client address the keys are
	// derived with: the "public IP" a middle proxy would see behind NAT.
	ExpectClientIP netip.Addr
	// ExpectTag is the ad tag every request must carry; nil: requests
	// must carry none.
	ExpectTag *[16]byte
	// ExpectProxyAddr, when valid, is the proxy address every request
	// must carry.
	ExpectProxyAddr netip.AddrPort
	// DisableCRC32C declines the client's CRC32C offer.
	DisableCRC32C bool
	// ClockSkew is added to our clock: the time in our RPC_NONCE and the
	// one the client's is checked against.
	ClockSkew time.Duration
	// NoTimeCheck accepts a client's RPC_NONCE whatever its time, so that
	// a test can see the client's own check of ours (a real middle proxy
	// refuses first).
	NoTimeCheck bool
	// Handler answers a request with packets to send back in
	// RPC_PROXY_ANS. Default: resPQ for a req_pq_multi, else an echo.
	Handler func(*Request) [][]byte
	// AnswerDelay delays every answer (the connection's reads wait too).
	AnswerDelay time.Duration
	// HandshakeDelay delays our RPC_NONCE: a middle proxy slow to accept.
	HandshakeDelay time.Duration
	// RecordLimit is how many requests Requests keeps, the first ones,
	// each with its packet: 0 keeps every one, a negative value none. A
	// long-running fake sets it (mtbench's kept every echoed packet
	// until the kernel killed it). Stats counts every request, and the
	// connection-id checks see every one, whatever the limit.
	RecordLimit int
}

// Server is a fake middle proxy listening on loopback.
type Server struct {
	o    Options
	ln   net.Listener
	mode atomic.Int32
	wg   sync.WaitGroup
	msgs mtproto.MsgIDs

	mu         sync.Mutex
	conns      map[*conn]struct{}
	accepted   int
	handshakes int
	failures   map[string]int
	violations []string
	requests   []Request
	nrequests  int // received, kept or not
	closeConns []uint64
	pongs      []uint64
	pings      int
	closed     bool

	// What each connection id stood for, to check ids are stable per
	// client: the client address of each id, the open id of each client
	// address, the ids the proxy closed with RPC_CLOSE_CONN.
	idClient map[uint64]netip.AddrPort
	clientID map[netip.AddrPort]uint64
	idClosed map[uint64]bool
	idEnded  map[uint64]bool // closed by either side
}

// errNoSecret: Options.Secret is required.
var errNoSecret = errors.New("fakemiddle: Options.Secret is required (32..256 bytes)")

// New starts a fake middle proxy.
func New(o Options) (*Server, error) {
	if len(o.Secret) < 32 || len(o.Secret) > 256 {
		return nil, errNoSecret
	}
	defaults.Set(&o.Addr, "127.0.0.1:0")
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, ln: ln, conns: map[*conn]struct{}{}, failures: map[string]int{},
		idClient: map[uint64]netip.AddrPort{}, clientID: map[netip.AddrPort]uint64{}, idClosed: map[uint64]bool{}, idEnded: map[uint64]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() netip.AddrPort {
	return s.ln.Addr().(*net.TCPAddr).AddrPort()
}

// SetMode switches behaviour for connections accepted from now on (and,
// for ModeMute, for established ones too).
func (s *Server) SetMode(m Mode) { s.mode.Store(int32(m)) }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.accepted++
		c := &conn{s: s, nc: nc, id: s.accepted, ids: map[uint64]bool{}}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops listening, closes every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.ln.Close()
	s.DropAll()
	s.wg.Wait()
	return err
}

// DropAll closes every established connection abruptly: the middle proxy
// dying mid-stream. It keeps listening.
func (s *Server) DropAll() {
	for _, c := range s.snapshot() {
		c.dead.Store(true)
		_ = c.nc.Close()
	}
}

// CloseExt sends RPC_CLOSE_EXT for connID on the connection that carried
// it; false when no connection did.
func (s *Server) CloseExt(connID uint64) bool {
	for _, c := range s.snapshot() {
		if c.carries(connID) {
			s.mu.Lock()
			s.idEnded[connID] = true
			s.mu.Unlock()
			return c.sendMsg(binary.LittleEndian.AppendUint64(u32(nil, typeCloseExt), connID)) == nil
		}
	}
	return false
}

// Answer sends an extra RPC_PROXY_ANS to connID, unsolicited.
func (s *Server) Answer(connID uint64, pkt []byte) bool {
	for _, c := range s.snapshot() {
		if c.carries(connID) {
			return c.sendMsg(proxyAns(connID, pkt)) == nil
		}
	}
	return false
}

// SimpleAck sends an unsolicited RPC_SIMPLE_ACK with token to connID.
func (s *Server) SimpleAck(connID uint64, token uint32) bool {
	for _, c := range s.snapshot() {
		if c.carries(connID) {
			ack := binary.LittleEndian.AppendUint64(u32(nil, typeSimpleAck), connID)
			return c.sendMsg(u32(ack, token)) == nil
		}
	}
	return false
}

// Ping sends RPC_PING with id on every established connection.
func (s *Server) Ping(id uint64) {
	for _, c := range s.snapshot() {
		_ = c.sendMsg(binary.LittleEndian.AppendUint64(u32(nil, typePing), id))
	}
}

// Garbage writes random bytes into every established connection's
// encrypted stream (Inject(FaultGarbage)).
func (s *Server) Garbage() { s.Inject(FaultGarbage) }

func (s *Server) snapshot() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Stats is what the server saw.
type Stats struct {
	// Accepted counts TCP connections; Conns those open now.
	Accepted, Conns int
	// Handshakes counts completed handshakes; Failures failed ones by
	// reason (bad_key_selector, clock_skew, bad_schema, bad_nonce,
	// bad_handshake_crypto, bad_handshake, refused, closed).
	Handshakes int
	Failures   map[string]int
	Requests   int
}

// Stats returns counts of what happened so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := make(map[string]int, len(s.failures))
	for k, v := range s.failures {
		f[k] = v
	}
	return Stats{Accepted: s.accepted, Conns: len(s.conns), Handshakes: s.handshakes, Failures: f, Requests: s.nrequests}
}

// Violations returns the protocol violations recorded, in order.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Requests returns the requests received, in order (the first
// Options.RecordLimit).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// CloseConns returns the connection ids of the RPC_CLOSE_CONN received.
func (s *Server) CloseConns() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.closeConns...)
}

// Pings returns how many RPC_PING the proxy sent.
func (s *Server) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

// Pongs returns the ids of the RPC_PONG received.
func (s *Server) Pongs() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.pongs...)
}

// record keeps a decoded request and checks that its connection id stands
// for one client: an id always carries the same client address, a client
// address has one open id at a time, and an id the proxy closed with
// RPC_CLOSE_CONN carries nothing more.
func (s *Server) record(r *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nrequests++
	if l := s.o.RecordLimit; l == 0 || len(s.requests) < l {
		s.requests = append(s.requests, *r)
	}
	if s.idClosed[r.ConnID] {
		s.violations = append(s.violations, fmt.Sprintf("request for conn id %#x after its RPC_CLOSE_CONN", r.ConnID))
	}
	if c, ok := s.idClient[r.ConnID]; ok && c != r.Client {
		s.violations = append(s.violations, fmt.Sprintf("conn id %#x carried client %s, now %s", r.ConnID, c, r.Client))
	}
	if id, ok := s.clientID[r.Client]; ok && id != r.ConnID && !s.idEnded[id] {
		s.violations = append(s.violations, fmt.Sprintf("client %s has conn id %#x, now also %#x", r.Client, id, r.ConnID))
	}
	s.idClient[r.ConnID] = r.Client
	s.clientID[r.Client] = r.ConnID
}

// closedConn records an RPC_CLOSE_CONN.
func (s *Server) closedConn(id uint64) {
	s.mu.Lock()
	s.closeConns = append(s.closeConns, id)
	s.idClosed[id] = true
	s.idEnded[id] = true
	s.mu.Unlock()
}

func (s *Server) fail(reason string) {
	s.mu.Lock()
	s.failures[reason]++
	s.mu.Unlock()
}

func (s *Server) violate(v ...string) {
	if len(v) == 0 {
		return
	}
	s.mu.Lock()
	s.violations = append(s.violations, v...)
	s.mu.Unlock()
}

// QuickAckToken is the token the fake middle proxy confirms a packet with:
// the first 4 bytes of its SHA-256, read little-endian, with bit 31 set
// (a real DC derives it from the message key in a similar way).
func QuickAckToken(pkt []byte) uint32 {
	h := sha256.Sum256(pkt)
	return binary.LittleEndian.Uint32(h[:]) | 1<<31
}

// answer runs the handler, or the default: resPQ for req_pq_multi, else echo.
func (s *Server) answer(r *Request) [][]byte {
	if s.o.Handler != nil {
		return s.o.Handler(r)
	}
	if _, nonce, err := mtproto.ParseReqPQMulti(r.Packet); err == nil {
		var sn [16]byte
		binary.LittleEndian.PutUint64(sn[:], uint64(r.ConnID))
		res := &mtproto.ResPQ{Nonce: nonce, ServerNonce: sn, PQ: mtproto.DefaultPQ,
			Fingerprints: []int64{mtproto.DefaultFingerprint}}
		return [][]byte{res.Append(nil, s.msgs.Next(time.Now(), mtproto.ServerResponse))}
	}
	return [][]byte{r.Packet}
}

func u32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func proxyAns(connID uint64, pkt []byte) []byte {
	b := u32(make([]byte, 0, 16+len(pkt)), typeProxyAns)
	b = u32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, connID)
	return append(b, pkt...)
}
