package netinfo

import (
	"net/netip"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// NATState says how the internal and external addresses relate.
type NATState int

// The NAT states.
const (
	// Unknown: an address needed for the comparison could not be had.
	Unknown NATState = iota
	// Public: the host owns its external address.
	Public
	// BehindNAT: the external address differs from the internal one; the
	// middle-proxy handshake must use the external one (nat-info).
	BehindNAT
	// Mismatch: a configured external address (IP or nat-info) is not the
	// one detected; the configured one is used, but the middle proxies and
	// clients may see the detected one. Result.Warnings has both.
	Mismatch
	numNATStates
)

var natStateNames = [...]string{
	Unknown:   "unknown",
	Public:    "public",
	BehindNAT: "behind_nat",
	Mismatch:  "mismatch",
}

// One name per NATState: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(natStateNames)-int(numNATStates)]

// String returns the state's metric label.
func (s NATState) String() string { return enum.Name(natStateNames[:], s) }

// Where the chosen external address came from.
const (
	SourceNATInfo    = "nat-info"   // Options.NATInfo
	SourceConfigured = "configured" // Options.ConfiguredIP
	SourceDetected   = "detected"   // route probe and look-ups
)

// Addrs are addresses of both families; an invalid Addr is unknown.
type Addrs struct {
	Internal, External   netip.Addr // IPv4
	Internal6, External6 netip.Addr // IPv6
}

// Result is what [Detect] found.
type Result struct {
	// Addrs are the addresses to use: Internal and External (IPv4, the
	// pair nat-info speaks of), Internal6 and External6; invalid when
	// unknown.
	Addrs
	// State compares the pair of the first family, IPv4 then IPv6, whose
	// external address is known.
	State NATState
	// Source is where External (or External6 when only it is known) came
	// from: SourceNATInfo, SourceConfigured or SourceDetected.
	Source string
	// Detected is what the route probes and look-ups said, whatever won.
	Detected Addrs
	// Warnings explain disagreements and failed verifications, for the
	// operator; each names both values involved.
	Warnings []string
}

// NATInfo returns the official "local:public" form of the IPv4 pair when
// the two differ, as the middle-proxy handshake needs; "" when the host is
// public or the pair is unknown.
func (r Result) NATInfo() string {
	if !r.Internal.IsValid() || !r.External.IsValid() || r.Internal == r.External {
		return ""
	}
	return r.Internal.String() + ":" + r.External.String()
}

// internal and external point at the field of family f.
func (a *Addrs) internal(f Family) *netip.Addr {
	if f == IPv6 {
		return &a.Internal6
	}
	return &a.Internal
}

func (a *Addrs) external(f Family) *netip.Addr {
	if f == IPv6 {
		return &a.External6
	}
	return &a.External
}
