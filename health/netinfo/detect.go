package netinfo

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// Detect finds the internal and external addresses of both families and
// the NAT state; see the package documentation for the precedence.
//
// It always returns a Result filled as far as it got. The error is non-nil
// exactly when State is Unknown: it wraps [ErrNoRoute] and/or
// [ErrNoExternal] with the reasons, or [ErrBadNATInfo] / [ErrBadURL] for
// bad options (then nothing is attempted). Route probes and look-ups run
// concurrently, each bounded by o.Timeout, so Detect returns within about
// one timeout. obs may be nil.
func Detect(ctx context.Context, o Options, obs Observer) (Result, error) {
	o = o.withDefaults()
	if obs == nil {
		obs = nopObserver{}
	}
	var nat *[2]netip.Addr
	if o.NATInfo != "" {
		l, p, err := ParseNATInfo(o.NATInfo)
		if err != nil {
			return Result{}, err
		}
		nat = &[2]netip.Addr{l, p}
	}
	for _, u := range append(append([]string(nil), o.DetectURLs...), o.DetectURLs6...) {
		if err := checkURL(u); err != nil {
			return Result{}, err
		}
	}
	d := detectAll(ctx, o, obs)
	r, src := choose(o, d, nat)
	return r.settle(d, src)
}

// choose applies the precedence nat-info > configured > detected to each
// family and returns the chosen Result and the source of each external.
func choose(o Options, d detection, nat *[2]netip.Addr) (Result, map[Family]string) {
	r := Result{Addrs: d.Addrs, Detected: d.Addrs}
	src := map[Family]string{IPv4: SourceDetected, IPv6: SourceDetected}
	if a := o.ConfiguredInternalIP.Unmap(); a.IsValid() {
		*r.internal(familyOf(a)) = a
	}
	if a := o.ConfiguredIP.Unmap(); a.IsValid() {
		*r.external(familyOf(a)) = a
		src[familyOf(a)] = SourceConfigured
	}
	if nat != nil {
		local, public := nat[0], nat[1]
		if src[IPv4] == SourceConfigured && r.External != public {
			r.warn("nat-info public address %s overrides the configured IP %s", public, r.External)
		}
		if r.Internal.IsValid() && r.Internal != local {
			r.warn("nat-info local address %s differs from %s, the internal address otherwise used", local, r.Internal)
		}
		r.Internal, r.External, src[IPv4] = local, public, SourceNATInfo
	}
	return r, src
}

// settle checks configured externals against the detected ones and sets
// Source and State, on the primary family.
func (r Result) settle(d detection, src map[Family]string) (Result, error) {
	p := primary(r)
	r.Source = src[p]
	mismatch := false
	for _, f := range []Family{IPv4, IPv6} {
		chosen, detected, err := *r.external(f), *d.Addrs.external(f), d.extErr[f]
		switch {
		case src[f] == SourceDetected || !chosen.IsValid():
		case !detected.IsValid():
			r.warn("could not verify the %s %s external address %s: %v", src[f], f, chosen, err)
		case detected != chosen:
			r.warn("the %s %s external address is %s, but look-ups see %s: the middle proxies and clients may see %s",
				src[f], f, chosen, detected, detected)
			mismatch = mismatch || f == p
		}
	}
	internal, external := *r.internal(p), *r.external(p)
	var errs []error
	if !external.IsValid() {
		errs = append(errs, d.extErr[IPv4], d.extErr[IPv6])
	}
	if !internal.IsValid() {
		errs = append(errs, fmt.Errorf("%w (%s): %w", ErrNoRoute, p, d.routeErr[p]))
	}
	switch {
	case len(errs) > 0:
		return r, errors.Join(errs...)
	case mismatch:
		r.State = Mismatch
	case internal == external:
		r.State = Public
	default:
		r.State = BehindNAT
	}
	return r, nil
}

// primary is the family State is computed on.
func primary(r Result) Family {
	if r.External.IsValid() || !r.External6.IsValid() {
		return IPv4
	}
	return IPv6
}

func familyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// detection is what the probes and look-ups found, with the reasons for
// what they did not.
type detection struct {
	Addrs
	routeErr, extErr map[Family]error
}

// detectAll runs the route probes and both families' look-ups at once.
func detectAll(ctx context.Context, o Options, obs Observer) detection {
	var d Addrs
	var ext4, ext6 error
	var wg sync.WaitGroup
	wg.Go(func() { d.External, ext4 = lookupFirst(ctx, o, IPv4, o.DetectURLs, obs) })
	var route4, route6 error
	if o.DisableIPv6 {
		ext6 = fmt.Errorf("%w over ipv6: disabled", ErrNoExternal)
		route6 = errors.New("ipv6 disabled")
	} else {
		wg.Go(func() { d.External6, ext6 = lookupFirst(ctx, o, IPv6, o.DetectURLs6, obs) })
		d.Internal6, route6 = internalAddr(ctx, o, IPv6)
	}
	d.Internal, route4 = internalAddr(ctx, o, IPv4)
	wg.Wait()
	return detection{Addrs: d, routeErr: map[Family]error{IPv4: route4, IPv6: route6}, extErr: map[Family]error{IPv4: ext4, IPv6: ext6}}
}

// internalAddr probes the route targets of family f in order and returns
// the first local address found.
func internalAddr(ctx context.Context, o Options, f Family) (netip.Addr, error) {
	var errs []error
	for _, t := range o.RouteTargets {
		if familyOf(t.Addr().Unmap()) != f {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, o.Timeout)
		a, err := o.RouteProbe(pctx, t)
		cancel()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("route to %s: %w", t, err))
		case !a.IsValid() || a.IsUnspecified():
			errs = append(errs, fmt.Errorf("route to %s: no source address", t))
		default:
			return a.Unmap(), nil
		}
	}
	if len(errs) == 0 {
		return netip.Addr{}, fmt.Errorf("no %s route target configured", f)
	}
	return netip.Addr{}, errors.Join(errs...)
}

type nopObserver struct{}

func (nopObserver) Lookup(LookupEvent) {}
