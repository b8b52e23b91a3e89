package metrics

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// Bounds of the ClientHello fingerprint label.
const (
	// TopFingerprints is how many JA4 values have a label of their own;
	// every other one counts under OtherFingerprint.
	TopFingerprints = 20
	// fingerprintCandidates bounds the unlabelled values tracked to find
	// one that deserves a label.
	fingerprintCandidates = 64
	// OtherFingerprint is the ja4 label of everything else, unparsable
	// hellos included.
	OtherFingerprint = "other"
)

// fingerprints counts FakeTLS ClientHellos by JA4 and handshake result
// with bounded cardinality: at most TopFingerprints labelled values, the
// rest under "other". A value gets a label while there is room, or when
// its (estimated) count since it was last labelled overtakes the smallest
// labelled count; that one then leaves the labelled set (its series ends)
// and its later hellos count under "other". Every series is monotonic
// while it exists. Unlabelled values are tracked with the Space-Saving
// algorithm in fingerprintCandidates slots, so a flood of distinct values
// holds bounded memory. Called once per FakeTLS handshake, never per read.
type fingerprints struct {
	mu    sync.Mutex
	top   map[faketls.JA4]*fpCounts
	other fpCounts
	cand  map[faketls.JA4]uint64 // estimated counts of unlabelled values
}

type fpCounts struct {
	total    uint64
	byResult [proxy.NumHandshakeResults]uint64
}

func (f *fingerprints) init() {
	f.top = make(map[faketls.JA4]*fpCounts, TopFingerprints)
	f.cand = make(map[faketls.JA4]uint64, fingerprintCandidates)
}

func (c *fpCounts) add(r proxy.HandshakeResult) {
	c.total++
	c.byResult[r]++
}

// observe counts one hello; a zero ja4 (no parsable hello) is "other".
func (f *fingerprints) observe(ja4 faketls.JA4, r proxy.HandshakeResult) {
	if int(r) >= proxy.NumHandshakeResults {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.top[ja4]; ok {
		c.add(r)
		return
	}
	if ja4 == (faketls.JA4{}) {
		f.other.add(r)
		return
	}
	if len(f.top) < TopFingerprints {
		c := new(fpCounts)
		c.add(r)
		f.top[ja4] = c
		return
	}
	f.other.add(r)
	est := f.candidate(ja4)
	low, lowest := f.lowest()
	if est > lowest.total {
		delete(f.top, low)
		delete(f.cand, ja4)
		f.cand[low] = lowest.total
		f.top[ja4] = new(fpCounts)
	}
}

// candidate counts ja4 among the unlabelled values and returns its
// estimate: Space-Saving replaces the smallest slot when all are taken.
func (f *fingerprints) candidate(ja4 faketls.JA4) uint64 {
	if n, ok := f.cand[ja4]; ok {
		f.cand[ja4] = n + 1
		return n + 1
	}
	var floor uint64
	if len(f.cand) >= fingerprintCandidates {
		var min faketls.JA4
		first := true
		for k, n := range f.cand {
			if first || n < floor || n == floor && string(k[:]) < string(min[:]) {
				min, floor, first = k, n, false
			}
		}
		delete(f.cand, min)
	}
	f.cand[ja4] = floor + 1
	return floor + 1
}

// lowest returns the labelled value with the smallest count (ties by
// value, for determinism).
func (f *fingerprints) lowest() (faketls.JA4, *fpCounts) {
	var low faketls.JA4
	var lc *fpCounts
	for k, c := range f.top {
		if lc == nil || c.total < lc.total || c.total == lc.total && string(k[:]) < string(low[:]) {
			low, lc = k, c
		}
	}
	return low, lc
}

// Fingerprint is one labelled JA4 value (or "other") and its counts.
type Fingerprint struct {
	JA4 string
	// Total counts its hellos; ByResult by handshake result.
	Total    uint64
	ByResult [proxy.NumHandshakeResults]uint64
}

// snapshot returns the labelled values by count, largest first, then
// "other".
func (f *fingerprints) snapshot() []Fingerprint {
	f.mu.Lock()
	out := make([]Fingerprint, 0, len(f.top)+1)
	for k, c := range f.top {
		out = append(out, Fingerprint{JA4: k.String(), Total: c.total, ByResult: c.byResult})
	}
	other := Fingerprint{JA4: OtherFingerprint, Total: f.other.total, ByResult: f.other.byResult}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b Fingerprint) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), strings.Compare(a.JA4, b.JA4))
	})
	return append(out, other)
}
