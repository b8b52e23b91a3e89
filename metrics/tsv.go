package metrics

import (
	"strconv"
	"strings"
)

// tsv builds a "key\tvalue\n" page.
type tsv struct{ b []byte }

func (t *tsv) line(key string, value func([]byte) []byte) {
	t.b = append(t.b, key...)
	t.b = append(t.b, '\t')
	t.b = value(t.b)
	t.b = append(t.b, '\n')
}

// i writes an integer value.
func (t *tsv) i(key string, v int64) {
	t.line(key, func(b []byte) []byte { return strconv.AppendInt(b, v, 10) })
}

// u writes an unsigned integer value.
func (t *tsv) u(key string, v uint64) {
	t.line(key, func(b []byte) []byte { return strconv.AppendUint(b, v, 10) })
}

// f writes a float with prec decimals, as C's "%.<prec>f".
func (t *tsv) f(key string, v float64, prec int) {
	t.line(key, func(b []byte) []byte { return strconv.AppendFloat(b, v, 'f', prec, 64) })
}

// s writes a string value; tabs and line breaks, which would break the
// format, become spaces.
func (t *tsv) s(key, v string) {
	t.line(key, func(b []byte) []byte { return append(b, oneLine(v)...) })
}

// zeros writes a key whose value is n space-separated zeros, as the
// official multi-value keys (total_dh_rounds, total_accept_connections_failed).
func (t *tsv) zeros(key string, n int) {
	t.s(key, strings.TrimSuffix(strings.Repeat("0 ", n), " "))
}

// groups writes the official 16-slot per-thread-class arrays, which group
// the values by four with a double space: "a b c d  e f g h  ...".
func (t *tsv) groups(key, zero string) {
	var sb strings.Builder
	for i := range 16 {
		if i != 0 {
			sb.WriteByte(' ')
			if i&3 == 0 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(zero)
	}
	t.s(key, sb.String())
}

// module writes an official module section: its start marker, body, end
// marker.
func (t *tsv) module(name string, body func()) {
	t.s(">>>>>>"+name+">>>>>>", "start")
	body()
	t.s("<<<<<<"+name+"<<<<<<", "end")
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// keyPart makes a label usable inside a /stats key: anything but letters,
// digits, '_', '-' and '.' becomes '_'.
func keyPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}
