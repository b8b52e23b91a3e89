package users

import (
	"testing"
)

func TestSeriesTopNPlusOtherStayMonotonic(t *testing.T) {
	r := New(Options{})
	if err := r.Apply(manyUsers(5)); err != nil {
		t.Fatal(err)
	}
	leases := map[int]*Lease{}
	for i := 0; i < 5; i++ {
		leases[i], _ = admit(t, r, key(i), "192.0.2.1")
	}
	traffic := func(i int, n int) { leases[i].Account(n, 0) }
	sum := func(rows []SeriesRow) (in uint64) {
		for _, r := range rows {
			in += r.In
		}
		return in
	}
	get := func(rows []SeriesRow, label string) (SeriesRow, bool) {
		for _, r := range rows {
			if r.Label == label {
				return r, true
			}
		}
		return SeriesRow{}, false
	}
	traffic(0, 1000)
	traffic(1, 500)
	traffic(2, 10)
	rows := r.Series(2)
	if len(rows) != 3 || rows[0].Label != "u0" || rows[1].Label != "u1" || rows[2].Label != OtherLabel {
		t.Fatalf("rows %+v", rows)
	}
	if o, _ := get(rows, OtherLabel); o.In != 10 || o.Active != 3 || o.Opened != 3 {
		t.Fatalf("other %+v", o)
	}
	prevOther := uint64(10)
	// u3 overtakes u1: u1's series ends, u3 gets one, other never shrinks.
	traffic(3, 5000)
	rows = r.Series(2)
	o, _ := get(rows, OtherLabel)
	if _, ok := get(rows, "u1"); ok {
		t.Fatal("u1 kept its series out of the top 2")
	}
	if u3, ok := get(rows, "u3"); !ok || u3.In != 0 {
		t.Fatalf("u3 row %+v (its bytes before promotion stay in other)", u3)
	}
	if o.In < prevOther || o.In != 5010 || sum(rows) != 6010 {
		t.Fatalf("other %d (was %d), sum %d", o.In, prevOther, sum(rows))
	}
	traffic(3, 100)
	traffic(1, 7)
	rows = r.Series(2)
	if u3, _ := get(rows, "u3"); u3.In != 100 {
		t.Fatalf("u3 %+v", u3)
	}
	if sum(rows) != 6117 {
		t.Fatalf("sum %d", sum(rows))
	}
	// Removing a user in "other" keeps its bytes there.
	before, _ := get(rows, OtherLabel)
	for _, l := range leases {
		l.Release()
	}
	specs := manyUsers(5)
	if err := r.Apply(append(specs[:2:2], specs[3])); err != nil { // u2, u4 removed
		t.Fatal(err)
	}
	rows = r.Series(2)
	if after, _ := get(rows, OtherLabel); after.In < before.In {
		t.Fatalf("other went from %d to %d", before.In, after.In)
	}
	if rows := r.Series(0); len(rows) != 1 || rows[0].Label != OtherLabel {
		t.Fatalf("n=0: %+v", rows)
	}
}
