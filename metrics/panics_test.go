package metrics

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy/recovery"
)

// Recovered panics are counted by place, every place present at zero, and
// the middle layer's observer counts in the same family.
func TestPanicsCounted(t *testing.T) {
	m := New(Options{})
	m.Panicked(recovery.Conn)
	m.Panicked(recovery.Conn)
	m.MiddleObserver().(recovery.Observer).Panicked(recovery.Middle)
	m.Panicked(recovery.NumWhere) // out of the set: ignored
	fams := families(t, m)
	for w := range recovery.NumWhere {
		want := map[recovery.Where]float64{recovery.Conn: 2, recovery.Middle: 1}[w]
		if got := value(t, fams, "mtproxy_panics_total", "where", w.String()); got != want {
			t.Errorf("mtproxy_panics_total{where=%q} = %v, want %v", w, got, want)
		}
	}
}
