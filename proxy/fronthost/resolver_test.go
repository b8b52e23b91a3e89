package fronthost

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDNS answers look-ups from a table and counts them.
type fakeDNS struct {
	mu      sync.Mutex
	answer  []netip.Addr
	err     error
	calls   atomic.Int32
	release chan struct{} // when set, look-ups wait for it
}

func (d *fakeDNS) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	d.calls.Add(1)
	if d.release != nil {
		select {
		case <-d.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.answer, d.err
}

func (d *fakeDNS) set(err error, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.answer, d.err = nil, err
	for _, a := range addrs {
		d.answer = append(d.answer, netip.MustParseAddr(a))
	}
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lookups collects the observer's reports.
type lookups chan LookupResult

func (l lookups) FrontingLookup(res LookupResult, _ []netip.AddrPort, _ error) { l <- res }

func (l lookups) next(t *testing.T) LookupResult {
	t.Helper()
	select {
	case r := <-l:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no look-up reported")
		return 0
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func newTest(t *testing.T, o Options) (*Resolver, *fakeDNS, *clock, lookups) {
	t.Helper()
	dns := &fakeDNS{}
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	obs := make(lookups, 100)
	if o.Addr == "" {
		o.Addr = "site.example:443"
	}
	o.LookupNetIP, o.Now = dns.lookup, clk.Now
	r, err := New(o, obs)
	if err != nil {
		t.Fatal(err)
	}
	return r, dns, clk, obs
}

func aps(port uint16, addrs ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range addrs {
		out = append(out, netip.AddrPortFrom(netip.MustParseAddr(a), port))
	}
	return out
}

// A scan of a thousand failed handshakes, all fronted, looks the host up
// once.
func TestManyHandshakesOneLookup(t *testing.T) {
	r, dns, _, obs := newTest(t, Options{})
	dns.set(nil, "192.0.2.1", "2001:db8::1")
	dns.release = make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := r.Addrs(ctx(t))
			if err == nil && !slices.Equal(got, aps(443, "192.0.2.1", "2001:db8::1")) {
				err = errors.New("wrong addresses")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	close(dns.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := dns.calls.Load(); n != 1 {
		t.Fatalf("%d look-ups for 1000 handshakes", n)
	}
	if obs.next(t) != LookupOK {
		t.Fatal("look-up not reported ok")
	}
}

// A stale answer is served at once while one background look-up replaces
// it.
func TestStaleAnswerServedWhileRefreshing(t *testing.T) {
	r, dns, clk, obs := newTest(t, Options{Refresh: time.Minute})
	dns.set(nil, "192.0.2.1")
	if _, err := r.Addrs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	obs.next(t)
	dns.set(nil, "192.0.2.2")
	clk.add(2 * time.Minute)
	dns.release = make(chan struct{}) // the refresh hangs until released
	for range 100 {
		got, err := r.Addrs(ctx(t))
		if err != nil || !slices.Equal(got, aps(443, "192.0.2.1")) {
			t.Fatalf("stale answer: %v %v", got, err)
		}
	}
	close(dns.release)
	if obs.next(t) != LookupOK {
		t.Fatal("refresh failed")
	}
	got, _ := r.Addrs(ctx(t))
	if !slices.Equal(got, aps(443, "192.0.2.2")) || dns.calls.Load() != 2 {
		t.Fatalf("after the refresh: %v, %d look-ups", got, dns.calls.Load())
	}
}

// A failing resolver is asked again only after RetryAfter; meanwhile the
// failure is answered at once, and a previous answer stays in use.
func TestFailuresAreNotRepeated(t *testing.T) {
	r, dns, clk, obs := newTest(t, Options{RetryAfter: 5 * time.Second})
	dns.set(&net.DNSError{Err: "server misbehaving", Name: "site.example"})
	for range 1000 {
		if _, err := r.Addrs(ctx(t)); err == nil {
			t.Fatal("an answer from a failing resolver")
		}
	}
	if n := dns.calls.Load(); n != 1 || obs.next(t) != LookupFailed {
		t.Fatalf("%d look-ups", n)
	}
	clk.add(6 * time.Second)
	dns.set(nil, "192.0.2.1")
	if got, err := r.Addrs(ctx(t)); err != nil || len(got) != 1 {
		t.Fatalf("after the retry delay: %v %v", got, err)
	}
	obs.next(t)
	// The resolver fails again after the answer went stale: the old answer
	// is still served.
	clk.add(2 * DefaultRefresh)
	dns.set(errors.New("timeout"))
	r.Addrs(ctx(t))
	if obs.next(t) != LookupFailed {
		t.Fatal("failed refresh not reported")
	}
	if got, err := r.Addrs(ctx(t)); err != nil || !slices.Equal(got, aps(443, "192.0.2.1")) {
		t.Fatalf("after a failed refresh: %v %v", got, err)
	}
	if n := dns.calls.Load(); n != 3 {
		t.Fatalf("%d look-ups, want 3", n)
	}
}

// A DNS change that points the host at this proxy is refused: nothing is
// fronted there, not even to the old addresses.
func TestChangeToSelfRefused(t *testing.T) {
	self := Self{Port: 443, External: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}
	r, dns, clk, obs := newTest(t, Options{Self: self.Is})
	dns.set(nil, "192.0.2.1")
	if _, err := r.Addrs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	obs.next(t)
	clk.add(2 * DefaultRefresh)
	dns.set(nil, "192.0.2.9", "203.0.113.7")
	if _, err := r.Refresh(ctx(t)); !errors.Is(err, ErrSelf) {
		t.Fatalf("refresh to self: %v", err)
	}
	if obs.next(t) != LookupSelf {
		t.Fatal("not reported as self")
	}
	if got, err := r.Addrs(ctx(t)); !errors.Is(err, ErrSelf) || got != nil {
		t.Fatalf("after the change: %v %v", got, err)
	}
}

func TestLiteralAddressNeverLookedUp(t *testing.T) {
	r, dns, _, _ := newTest(t, Options{Addr: "[::ffff:192.0.2.5]:8443"})
	for range 10 {
		got, err := r.Addrs(ctx(t))
		if err != nil || !slices.Equal(got, aps(8443, "192.0.2.5")) {
			t.Fatalf("%v %v", got, err)
		}
	}
	if dns.calls.Load() != 0 {
		t.Fatal("a literal address was looked up")
	}
	self := Self{Port: 443}
	r, _, _, _ = newTest(t, Options{Addr: "127.0.0.1:443", Self: self.Is})
	if _, err := r.Addrs(ctx(t)); !errors.Is(err, ErrSelf) {
		t.Fatalf("loopback on our port: %v", err)
	}
	for _, bad := range []string{"site.example", "site.example:0", ":443", "site.example:99999"} {
		if _, err := New(Options{Addr: bad}, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDialUsesTheCache(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	r, dns, _, _ := newTest(t, Options{Addr: net.JoinHostPort("site.example", strconv.Itoa(int(port)))})
	dns.set(nil, "127.0.0.1")
	for range 3 {
		c, err := r.Dial(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if c.RemoteAddr().(*net.TCPAddr).AddrPort() != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port) {
			t.Fatalf("dialled %v", c.RemoteAddr())
		}
		c.Close()
	}
	if dns.calls.Load() != 1 {
		t.Fatalf("%d look-ups for 3 dials", dns.calls.Load())
	}
}

func TestSelf(t *testing.T) {
	ap := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	ext := []netip.Addr{netip.MustParseAddr("203.0.113.7")}
	local := []netip.Addr{netip.MustParseAddr("10.0.0.5")}
	all := Self{Port: 443, External: ext, Local: local}
	bound := Self{Port: 443, Bind: netip.MustParseAddr("10.0.0.5"), External: ext, Local: local}
	cases := []struct {
		s    Self
		ap   string
		want bool
	}{
		{all, "127.0.0.1:443", true},
		{all, "[::1]:443", true},
		{all, "0.0.0.0:443", true},
		{all, "10.0.0.5:443", true},
		{all, "[::ffff:203.0.113.7]:443", true},
		{all, "203.0.113.7:8443", false},
		{all, "192.0.2.1:443", false},
		{bound, "127.0.0.1:443", false},
		{bound, "10.0.0.5:443", true},
		{bound, "203.0.113.7:443", true},
		{Self{}, "127.0.0.1:0", false},
	}
	for _, c := range cases {
		if got := c.s.Is(ap(c.ap)); got != c.want {
			t.Errorf("%+v.Is(%s) = %t", c.s, c.ap, got)
		}
	}
	if len(InterfaceAddrs()) == 0 {
		t.Log("no interface addresses listed")
	}
}
