package metrics

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/stats.md's list of always-zero keys matches the page: each listed
// key is on it and zero even with every counter of the fixture non-zero,
// and every official key that is zero there is listed.
func TestStatsDocListsZeroKeys(t *testing.T) {
	b, err := os.ReadFile("../docs/stats.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```always-zero\n(.*?)```").FindSubmatch(b)
	if block == nil {
		t.Fatal("docs/stats.md has no always-zero block")
	}
	listed := map[string]bool{}
	for _, k := range strings.Fields(string(block[1])) {
		listed[k] = true
	}
	golden, err := os.ReadFile("testdata/stats_middle.golden")
	if err != nil {
		t.Fatal(err)
	}
	official := map[string]bool{}
	offKeys, err := os.ReadFile("testdata/official_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Fields(string(offKeys)) {
		official[k] = true
	}
	// Real keys the fixture happens to leave at 0.
	fixtureZero := map[string]bool{"dropped_simple_acks": true}
	zero := regexp.MustCompile(`^[0. ]+$`)
	keys, vals := parseStats(t, golden)
	seen := map[string]bool{}
	for _, k := range keys {
		v := vals[k]
		seen[k] = true
		isZero := zero.MatchString(v)
		if listed[k] && !isZero {
			t.Errorf("%s is documented as always 0 but is %q in the middle-mode fixture", k, v)
		}
		if official[k] && isZero && !listed[k] && !strings.HasPrefix(k, ">>>") && !strings.HasPrefix(k, "<<<") {
			if !fixtureZero[k] {
				t.Errorf("%s is 0 in the fixture and not documented as always 0", k)
			}
		}
	}
	for k := range listed {
		if !seen[k] {
			t.Errorf("%s is documented but not on the page", k)
		}
	}
}
