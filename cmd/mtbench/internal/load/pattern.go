package load

import (
	"bytes"

	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// patternPeriod is fakedc's pattern period: byte i of a stream is i mod 251.
const patternPeriod = 251

// pattern holds the fakedc bulk pattern precomputed, so writing it is a
// slice and checking it a memcmp instead of a loop per byte.
type pattern struct{ buf []byte }

// newPattern prepares slices of up to max bytes at any offset.
func newPattern(max int) pattern {
	p := pattern{buf: make([]byte, max+patternPeriod)}
	fakedc.FillPattern(p.buf, 0)
	return p
}

// at returns the n pattern bytes starting at stream offset off; n must not
// exceed the max given to newPattern. The slice is shared: read only.
func (p pattern) at(off uint64, n int) []byte {
	s := int(off % patternPeriod)
	return p.buf[s : s+n]
}

// check reports whether b is the pattern at stream offset off.
func (p pattern) check(b []byte, off uint64) bool {
	return bytes.Equal(b, p.at(off, len(b)))
}
