package netinfo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Family is an IP address family.
type Family uint8

// The families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// String returns "ipv4" or "ipv6".
func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

func (f Family) network() string {
	if f == IPv6 {
		return "tcp6"
	}
	return "tcp4"
}

// LookupResult is the outcome of one IP look-up: a closed set, usable as a
// metric label.
type LookupResult string

// The look-up results.
const (
	ResultOK        LookupResult = "ok"         // a valid address
	ResultTimeout   LookupResult = "timeout"    // no answer within the timeout
	ResultError     LookupResult = "error"      // connection, TLS or HTTP status failure
	ResultBadAnswer LookupResult = "bad_answer" // the body is not a usable address of the family
	ResultCanceled  LookupResult = "canceled"   // another look-up answered first, or the caller gave up
)

// LookupEvent reports one finished look-up.
type LookupEvent struct {
	URL    string
	Family Family
	Result LookupResult
	// Addr is the answer, when Result is ResultOK.
	Addr netip.Addr
	Took time.Duration
	// Err is the failure, a [*LookupError], when Result is not ResultOK.
	Err error
}

// Observer receives look-up reports. Implementations must be safe for
// concurrent use.
type Observer interface {
	Lookup(ev LookupEvent)
}

// LookupError is one failed look-up.
type LookupError struct {
	URL    string
	Result LookupResult
	Err    error
}

// Error describes the failure with the URL (which never has user info).
func (e *LookupError) Error() string {
	return fmt.Sprintf("netinfo: look-up %s: %s: %v", e.URL, e.Result, e.Err)
}

// Unwrap returns the underlying error.
func (e *LookupError) Unwrap() error { return e.Err }

// familyClient returns a client whose connections use only family f, and a
// function releasing its idle connections.
func familyClient(base *http.Client, f Family) (*http.Client, func()) {
	var tr *http.Transport
	switch t := base.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		// A custom RoundTripper: the family cannot be forced; the answer's
		// family is still checked.
		return base, func() {}
	}
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	network := f.network()
	tr.DialContext = func(ctx context.Context, _, addr string) (net.Conn, error) {
		return dial(ctx, network, addr)
	}
	c := *base
	c.Transport = tr
	return &c, tr.CloseIdleConnections
}

// lookupFirst queries every URL concurrently and returns the first valid
// answer, cancelling the others. Each look-up is reported to obs. When none
// answers, the error wraps [ErrNoExternal] and joins the failures.
func lookupFirst(ctx context.Context, o Options, f Family, urls []string, obs Observer) (netip.Addr, error) {
	client, release := familyClient(o.HTTPClient, f)
	defer release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan LookupEvent, len(urls))
	for _, u := range urls {
		go func() { events <- lookupOne(ctx, client, u, f, o.Timeout) }()
	}
	var won netip.Addr
	var errs []error
	for range urls {
		ev := <-events
		if ev.Result == ResultOK && !won.IsValid() {
			won = ev.Addr
			cancel()
		}
		if ev.Err != nil {
			errs = append(errs, ev.Err)
		}
		obs.Lookup(ev)
	}
	if won.IsValid() {
		return won, nil
	}
	return netip.Addr{}, fmt.Errorf("%w over %s (%d services tried): %w", ErrNoExternal, f, len(urls), errors.Join(errs...))
}

// lookupOne makes one look-up within timeout.
func lookupOne(parent context.Context, client *http.Client, url string, f Family, timeout time.Duration) LookupEvent {
	start := time.Now()
	ev := LookupEvent{URL: url, Family: f}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	addr, err := fetchAddr(ctx, client, url, f)
	ev.Took = time.Since(start)
	if err == nil {
		ev.Result, ev.Addr = ResultOK, addr
		return ev
	}
	var netErr net.Error
	switch {
	case errors.Is(err, ErrBadAnswer):
		ev.Result = ResultBadAnswer
	case parent.Err() != nil:
		ev.Result = ResultCanceled
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		ev.Result = ResultTimeout
	default:
		ev.Result = ResultError
	}
	ev.Err = &LookupError{URL: url, Result: ev.Result, Err: err}
	return ev
}

func fetchAddr(ctx context.Context, client *http.Client, url string, f Family) (netip.Addr, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return netip.Addr{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return netip.Addr{}, err
	}
	return parseAnswer(body, f)
}

// parseAnswer accepts a plain-text IP address of family f that can be a
// public address of this host: unicast, not loopback or link-local.
func parseAnswer(body []byte, f Family) (netip.Addr, error) {
	if len(body) > maxAnswer {
		return netip.Addr{}, fmt.Errorf("%w: longer than %d bytes", ErrBadAnswer, maxAnswer)
	}
	a, err := netip.ParseAddr(strings.TrimSpace(string(body)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: not an IP address", ErrBadAnswer)
	}
	if f == IPv4 {
		a = a.Unmap()
	}
	switch {
	case a.Zone() != "":
		return netip.Addr{}, fmt.Errorf("%w: address %s has a zone", ErrBadAnswer, a)
	case (f == IPv4) != a.Is4() || (f == IPv6 && a.Is4In6()):
		return netip.Addr{}, fmt.Errorf("%w: %s is not an %s address", ErrBadAnswer, a, f)
	case !a.IsGlobalUnicast():
		return netip.Addr{}, fmt.Errorf("%w: %s is not a unicast host address", ErrBadAnswer, a)
	}
	return a, nil
}
