package clockskew

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// sntpServer is a minimal SNTP server on loopback UDP: it answers NTPv4
// client (mode 3) requests with mode-4 packets stamped by a clock that is
// offset from ours.
type sntpServer struct {
	conn    *net.UDPConn
	offset  atomic.Int64 // nanoseconds the server's clock is ahead of ours
	stratum atomic.Int32 // 0 sends a kiss-of-death
	silent  atomic.Bool  // read requests, never answer
	queries atomic.Int32
}

func newSNTPServer(t *testing.T, offset time.Duration) *sntpServer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &sntpServer{conn: c}
	s.offset.Store(int64(offset))
	s.stratum.Store(2)
	done := make(chan struct{})
	go s.serve(done)
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

// addr is "127.0.0.1:port".
func (s *sntpServer) addr() string { return s.conn.LocalAddr().String() }

func (s *sntpServer) serve(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 512)
	for {
		n, peer, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if n < 48 || buf[0]&7 != 3 {
			continue
		}
		s.queries.Add(1)
		if s.silent.Load() {
			continue
		}
		now := time.Now().Add(time.Duration(s.offset.Load()))
		var r [48]byte
		r[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, mode 4 (server)
		r[1] = byte(s.stratum.Load())
		r[2] = 6                                      // poll 2^6 s
		r[3] = 0xec                                   // precision 2^-20 s
		binary.BigEndian.PutUint32(r[4:], 0x00000100) // root delay ~4ms
		binary.BigEndian.PutUint32(r[8:], 0x00000100) // root dispersion ~4ms
		copy(r[12:16], "TEST")
		if r[1] == 0 {
			copy(r[12:16], "RATE")
		}
		binary.BigEndian.PutUint64(r[16:], ntpTime(now.Add(-time.Minute))) // reference
		copy(r[24:32], buf[40:48])                                         // origin = client's transmit
		binary.BigEndian.PutUint64(r[32:], ntpTime(now))                   // receive
		binary.BigEndian.PutUint64(r[40:], ntpTime(time.Now().Add(time.Duration(s.offset.Load()))))
		s.conn.WriteToUDP(r[:], peer)
	}
}

// ntpTime encodes t as an NTP era-0 timestamp: seconds since 1900 in the
// high 32 bits, the binary fraction of a second in the low 32.
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	sec := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// deadUDPAddr returns a loopback UDP address nothing listens on (a socket
// bound and closed at once), so a query gets ICMP port unreachable.
func deadUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a := c.LocalAddr().String()
	c.Close()
	return a
}

func TestNTPTimeEncoding(t *testing.T) {
	// 2000-01-01T00:00:00.5Z is 3155673600 s after 1900 (RFC 5905 era 0).
	got := ntpTime(time.Date(2000, 1, 1, 0, 0, 0, 500_000_000, time.UTC))
	if want := uint64(3155673600)<<32 | 1<<31; got != want {
		t.Fatalf("ntpTime = %#x, want %#x", got, want)
	}
}
