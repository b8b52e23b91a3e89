package metrics

import (
	"slices"
	"strconv"
)

// OtherDC is the dc label of every DC id not known at start.
const OtherDC = "other"

// dcLabels is the closed set of dc label values: the sorted known ids, then
// "other". Index lookups are a binary search over a dozen ints: no map and
// no allocation on the connection path.
type dcLabels struct {
	ids    []int    // sorted, unique
	labels []string // labels[i] for ids[i]; labels[len(ids)] is OtherDC
}

func newDCLabels(known []int) dcLabels {
	var ids []int
	for _, id := range known {
		ids = append(ids, id)
		if id != 0 {
			ids = append(ids, -id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	l := dcLabels{ids: ids, labels: make([]string, 0, len(ids)+1)}
	for _, id := range ids {
		l.labels = append(l.labels, strconv.Itoa(id))
	}
	l.labels = append(l.labels, OtherDC)
	return l
}

// n is the number of label values, "other" included.
func (l *dcLabels) n() int { return len(l.labels) }

// index returns the label index of DC id.
func (l *dcLabels) index(id int) int {
	if i, ok := slices.BinarySearch(l.ids, id); ok {
		return i
	}
	return len(l.ids) // "other"
}

// other is the label index of "other".
func (l *dcLabels) other() int { return len(l.ids) }

// id returns the DC id of label index i; ok is false for "other".
func (l *dcLabels) id(i int) (id int, ok bool) {
	if i < len(l.ids) {
		return l.ids[i], true
	}
	return 0, false
}

// uniqueLabels makes secret labels usable as label values: an empty or
// repeated label becomes the secret's index, with "_" appended until it is
// unique.
func uniqueLabels(in []string) []string {
	out := make([]string, len(in))
	seen := make(map[string]bool, len(in))
	for i, s := range in {
		if s == "" || seen[s] {
			s = strconv.Itoa(i)
			for seen[s] {
				s += "_"
			}
		}
		seen[s] = true
		out[i] = s
	}
	return out
}
