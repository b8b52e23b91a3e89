package fronthost

import (
	"context"
	"errors"
	"fmt"
	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Defaults of [Options].
const (
	DefaultRefresh    = time.Minute
	DefaultRetryAfter = 5 * time.Second
	DefaultTimeout    = 5 * time.Second
)

// ErrSelf means the fronting host resolves to this proxy; the error is a
// *SelfError.
var ErrSelf = errors.New("fronthost: the fronting address is this proxy")

// SelfError names the fronting address and which of its addresses is this
// proxy.
type SelfError struct {
	Addr string         // the fronting address as configured
	Self netip.AddrPort // the address that is this proxy
}

func (e *SelfError) Error() string { return fmt.Sprintf("%v: %s is %s", ErrSelf, e.Addr, e.Self) }
func (e *SelfError) Unwrap() error { return ErrSelf }

// Options configure a Resolver. Addr is required.
type Options struct {
	// Addr is the fronting host's host:port.
	Addr string
	// Network is "ip4" or "ip6" to look up one family. Default "ip": both.
	Network string
	// Refresh is how long an answer is fresh; a stale one is still served
	// while a background look-up replaces it. Default: DefaultRefresh (1m).
	Refresh time.Duration
	// RetryAfter is how long a failed look-up is not repeated. Default:
	// DefaultRetryAfter (5s).
	RetryAfter time.Duration
	// Timeout bounds one look-up. Default: DefaultTimeout (5s).
	Timeout time.Duration
	// Self recognises this proxy's own addresses; nil checks nothing.
	Self func(netip.AddrPort) bool
	// LookupNetIP resolves a host. Default: net.DefaultResolver's.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// LookupResult is how a look-up ended: a closed set, usable as a metric
// label.
type LookupResult uint8

// Look-up results.
const (
	LookupOK     LookupResult = iota // addresses found
	LookupFailed                     // the resolver failed or found nothing
	LookupSelf                       // an address found is this proxy
	numLookupResults
)

// NumLookupResults is the size of the LookupResult set.
const NumLookupResults = int(numLookupResults)

var lookupNames = [...]string{LookupOK: "ok", LookupFailed: "failed", LookupSelf: "self"}

// One name per LookupResult: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(lookupNames)-int(numLookupResults)]

// String returns the LookupResult's name.
func (r LookupResult) String() string { return enum.Name(lookupNames[:], r) }

// Observer receives every look-up. It must be safe for concurrent use.
type Observer interface {
	// FrontingLookup reports one look-up: its result, the addresses in use
	// after it, and its error (nil when it succeeded).
	FrontingLookup(res LookupResult, addrs []netip.AddrPort, err error)
}

// Resolver caches the fronting host's addresses. Its methods are safe for
// concurrent use.
type Resolver struct {
	o       Options
	host    string
	port    uint16
	literal bool // host is an IP address: never looked up
	obs     Observer

	mu       sync.Mutex
	addrs    []netip.AddrPort // the last good answer
	err      error            // the last look-up's error, while no answer is in use
	fresh    time.Time        // addrs are fresh until then
	retry    time.Time        // no look-up before then, after a failure
	inflight chan struct{}    // closed when the running look-up ends
}

// New parses o.Addr and returns a Resolver; obs may be nil. A literal IP
// address is never looked up (but is checked against Self on every use).
func New(o Options, obs Observer) (*Resolver, error) {
	host, ps, err := net.SplitHostPort(o.Addr)
	port, perr := strconv.ParseUint(ps, 10, 16)
	if err != nil || perr != nil || host == "" || port == 0 {
		return nil, fmt.Errorf("fronthost: %q is not host:port", o.Addr)
	}
	defaults.Set(&o.Network, "ip")
	defaults.SetPositive(&o.Refresh, DefaultRefresh)
	defaults.SetPositive(&o.RetryAfter, DefaultRetryAfter)
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	if o.LookupNetIP == nil {
		o.LookupNetIP = net.DefaultResolver.LookupNetIP
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if obs == nil {
		obs = nopObserver{}
	}
	r := &Resolver{o: o, host: host, port: uint16(port), obs: obs}
	if a, err := netip.ParseAddr(host); err == nil {
		r.literal = true
		r.addrs = []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), r.port)}
		if err := r.checkSelf(r.addrs); err != nil {
			r.addrs, r.err = nil, err
		}
	}
	return r, nil
}

// Addr returns the fronting address as configured.
func (r *Resolver) Addr() string { return r.o.Addr }

// Addrs returns the fronting host's addresses. Only when there is no
// answer yet does it wait for a look-up (shared with concurrent callers);
// a stale answer is returned at once while a background look-up refreshes
// it, and a failure is returned at once until RetryAfter has passed.
func (r *Resolver) Addrs(ctx context.Context) ([]netip.AddrPort, error) {
	if r.literal {
		return r.addrs, r.err
	}
	r.mu.Lock()
	now := r.o.Now()
	if r.addrs != nil {
		if !now.Before(r.fresh) && !now.Before(r.retry) && r.inflight == nil {
			r.startLocked()
		}
		a := r.addrs
		r.mu.Unlock()
		return a, nil
	}
	if r.err != nil && now.Before(r.retry) {
		err := r.err
		r.mu.Unlock()
		return nil, err
	}
	if err := r.joinLocked(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.addrs == nil {
		return nil, r.err
	}
	return r.addrs, nil
}

// Refresh looks the host up now (joining a running look-up) and returns
// the result.
func (r *Resolver) Refresh(ctx context.Context) ([]netip.AddrPort, error) {
	if r.literal {
		return r.addrs, r.err
	}
	r.mu.Lock()
	if err := r.joinLocked(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	return r.addrs, nil
}

// joinLocked starts a look-up unless one is running, releases r.mu and
// waits for that look-up or for ctx. r.mu must be held on entry; it is not
// held on return.
func (r *Resolver) joinLocked(ctx context.Context) error {
	if r.inflight == nil {
		r.startLocked()
	}
	wait := r.inflight
	r.mu.Unlock()
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run re-resolves every Refresh until ctx is done, so handshakes never
// wait for DNS once an answer is in.
func (r *Resolver) Run(ctx context.Context) {
	if r.literal {
		return
	}
	t := time.NewTicker(r.o.Refresh)
	defer t.Stop()
	for {
		_, _ = r.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startLocked starts a look-up in the background; r.mu is held.
func (r *Resolver) startLocked() {
	done := make(chan struct{})
	r.inflight = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), r.o.Timeout)
		defer cancel()
		addrs, err := r.lookup(ctx)
		res := LookupOK
		switch {
		case errors.Is(err, ErrSelf):
			res = LookupSelf
		case err != nil:
			res = LookupFailed
		}
		r.mu.Lock()
		now := r.o.Now()
		r.inflight = nil
		switch res {
		case LookupOK:
			r.addrs, r.err, r.fresh = addrs, nil, now.Add(r.o.Refresh)
		case LookupSelf:
			// Never front to ourselves, not even to the old addresses:
			// the configuration is wrong now.
			r.addrs, r.err, r.retry = nil, err, now.Add(r.o.RetryAfter)
		default:
			r.err, r.retry = err, now.Add(r.o.RetryAfter)
		}
		inUse := r.addrs
		r.mu.Unlock()
		r.obs.FrontingLookup(res, inUse, err)
	}()
}

func (r *Resolver) lookup(ctx context.Context) ([]netip.AddrPort, error) {
	ips, err := r.o.LookupNetIP(ctx, r.o.Network, r.host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no address")
	}
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) {
			err = errors.New(de.Err)
		}
		return nil, fmt.Errorf("fronthost: resolving %s: %w", r.host, err)
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		out = append(out, netip.AddrPortFrom(ip.Unmap(), r.port))
	}
	if err := r.checkSelf(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkSelf refuses addresses that are this proxy.
func (r *Resolver) checkSelf(addrs []netip.AddrPort) error {
	if r.o.Self == nil {
		return nil
	}
	for _, a := range addrs {
		if r.o.Self(a) {
			return &SelfError{Addr: r.o.Addr, Self: a}
		}
	}
	return nil
}

type nopObserver struct{}

func (nopObserver) FrontingLookup(LookupResult, []netip.AddrPort, error) {}
