package netinfo

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ipService is a loopback "what is my IP" service answering a fixed body
// after a delay, counting requests and noticing cancelled ones.
type ipService struct {
	*httptest.Server
	requests atomic.Int32
	canceled chan struct{} // closed when a request is abandoned by the client
	once     sync.Once
}

func newIPService(t *testing.T, status int, body string, delay time.Duration) *ipService {
	return newIPServiceOn(t, "tcp4", "127.0.0.1:0", status, body, delay)
}

func newIPServiceOn(t *testing.T, network, addr string, status int, body string, delay time.Duration) *ipService {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	s := &ipService{canceled: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			s.once.Do(func() { close(s.canceled) })
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// deadURL is an http URL on loopback where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// recorder keeps every look-up event.
type recorder struct {
	mu     sync.Mutex
	events []LookupEvent
}

func (r *recorder) Lookup(ev LookupEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

// results maps URL to result.
func (r *recorder) results() map[string]LookupResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]LookupResult{}
	for _, ev := range r.events {
		m[ev.URL] = ev.Result
	}
	return m
}

// loopbackRoute is a route target on loopback: the real probe then gives
// 127.0.0.1 without anything leaving the host (nothing is sent anyway).
var loopbackRoute = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}

// testOptions points every network action at loopback: the v4 look-ups at
// urls, the v6 look-ups at a v4-only URL (which fails at once: no IPv6
// address to dial), and the route probe at 127.0.0.1.
func testOptions(t *testing.T, urls ...string) Options {
	return Options{
		DetectURLs:   urls,
		DetectURLs6:  []string{deadURL(t)},
		Timeout:      2 * time.Second,
		RouteTargets: loopbackRoute,
	}
}
