package metrics

import (
	"fmt"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
)

func ja4N(i int) faketls.JA4 {
	return fixtureJA4(fmt.Sprintf("t13d%04dh2_000000000000_%012x", i%10000, i))
}

// The label set stays bounded: 20 values and "other", whatever arrives;
// a value that becomes frequent gets a label, taking the place of the
// least frequent one; a labelled value's count never goes down.
func TestFingerprintsBounded(t *testing.T) {
	var f fingerprints
	f.init()
	for i := range 25 {
		f.observe(ja4N(i), proxy.HandshakeOK)
	}
	snap := f.snapshot()
	if len(snap) != TopFingerprints+1 || snap[len(snap)-1].JA4 != OtherFingerprint || snap[len(snap)-1].Total != 5 {
		t.Fatalf("after 25 values: %d entries, other %+v", len(snap), snap[len(snap)-1])
	}
	// Value 22 (unlabelled) becomes frequent: it is promoted.
	for range 5 {
		f.observe(ja4N(22), proxy.HandshakeBadSNI)
	}
	snap = f.snapshot()
	found := false
	for _, fp := range snap {
		if fp.JA4 == ja4N(22).String() {
			found = true
		}
	}
	if !found || len(snap) != TopFingerprints+1 {
		t.Fatalf("the frequent value was not promoted: %+v", snap)
	}
	// A labelled value counts on under its label.
	before := snap[0]
	f.observe(fixtureJA4(before.JA4), proxy.HandshakeOK)
	if after := f.snapshot()[0]; after.JA4 != before.JA4 || after.Total != before.Total+1 {
		t.Fatalf("top value %+v, then %+v", before, after)
	}
	// A flood of distinct values holds bounded memory.
	for i := range 5000 {
		f.observe(ja4N(1000+i), proxy.HandshakeBadSecret)
	}
	if len(f.top) > TopFingerprints || len(f.cand) > fingerprintCandidates {
		t.Fatalf("%d labelled, %d candidates", len(f.top), len(f.cand))
	}
	// A hello that did not parse is "other".
	o := f.snapshot()
	f.observe(faketls.JA4{}, proxy.HandshakeBadTLS)
	if n := f.snapshot(); n[len(n)-1].ByResult[proxy.HandshakeBadTLS] != o[len(o)-1].ByResult[proxy.HandshakeBadTLS]+1 {
		t.Fatal("an unparsable hello was not counted as other")
	}
}
