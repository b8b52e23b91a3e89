package metrics

import (
	"net/netip"
	"sync/atomic"

	"github.com/mtproxy/mtproxy/proxy/fronthost"
	"github.com/mtproxy/mtproxy/proxy/tlsprofile"
)

var (
	_ fronthost.Observer  = (*Metrics)(nil)
	_ tlsprofile.Observer = (*Metrics)(nil)
)

// ProfileSource is what the metrics pull from the TLS profile watcher at
// scrape time; *tlsprofile.Watcher implements it.
type ProfileSource interface {
	State() tlsprofile.State
}

type profileSource struct{ ProfileSource }

// frontCounters count the fronting host's look-ups and profile probes.
type frontCounters struct {
	lookups [fronthost.NumLookupResults]atomic.Uint64
	probes  [tlsprofile.NumResults]atomic.Uint64
	profile atomic.Pointer[profileSource]
}

// SetTLSProfile registers the watcher of the fronting site's TLS profile,
// whose state is read at scrape time.
func (m *Metrics) SetTLSProfile(p ProfileSource) { m.front.profile.Store(&profileSource{p}) }

// FrontingLookup counts one look-up of the fronting host.
func (m *Metrics) FrontingLookup(res fronthost.LookupResult, _ []netip.AddrPort, _ error) {
	if int(res) < fronthost.NumLookupResults {
		m.front.lookups[res].Add(1)
	}
}

// ProfileProbed counts a recorded TLS profile.
func (m *Metrics) ProfileProbed(tlsprofile.Observation) { m.front.probes[tlsprofile.ResultOK].Add(1) }

// ProfileFailed counts a failed profile probe by its result.
func (m *Metrics) ProfileFailed(err error, _ bool) {
	if r := tlsprofile.ResultOf(err); int(r) < tlsprofile.NumResults {
		m.front.probes[r].Add(1)
	}
}

// FrontHostStats describes the fronting host's look-ups and the TLS
// profile FakeTLS answers in.
type FrontHostStats struct {
	Lookups [fronthost.NumLookupResults]uint64
	Probes  [tlsprofile.NumResults]uint64
	// ProfileKnown is set when a watcher is registered (FakeTLS on);
	// Fallback then tells the fallback profile is in use, and FlightBytes
	// is the size of the stand-in record of the profile in use.
	ProfileKnown bool
	Fallback     bool
	FlightBytes  int
}

func (m *Metrics) fillFrontHost(s *FrontHostStats) {
	for i := range s.Lookups {
		s.Lookups[i] = m.front.lookups[i].Load()
	}
	for i := range s.Probes {
		s.Probes[i] = m.front.probes[i].Load()
	}
	if p := m.front.profile.Load(); p != nil {
		st := p.State()
		s.ProfileKnown, s.Fallback = true, st.Fallback
		if st.Profile != nil {
			s.FlightBytes = st.Profile.StandInLen()
		}
	}
}
