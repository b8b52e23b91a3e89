package metrics

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy/auto"
)

// mtproxy_upstream_path is the mode's path for every DC without an Auto,
// and the Auto's per DC with one; switches are counted per DC and target
// path, those of the shared state under "other".
func TestUpstreamPath(t *testing.T) {
	for mode, want := range map[Mode]string{ModeDirect: "direct", ModeMiddle: "middle", ModeAuto: "direct"} {
		fams := families(t, New(Options{Mode: mode}))
		for _, m := range []Mode{ModeDirect, ModeMiddle, ModeAuto} {
			if got := value(t, fams, "mtproxy_upstream_mode", "mode", m.String()); got != b2f(m == mode) {
				t.Errorf("%s: mtproxy_upstream_mode{mode=%q} = %v", mode, m, got)
			}
		}
		for _, d := range []string{"2", "-2", "other"} {
			if value(t, fams, "mtproxy_upstream_path", "dc", d, "path", want) != 1 {
				t.Errorf("%s: dc %s not on %s", mode, d, want)
			}
		}
	}
	m := New(Options{Mode: ModeAuto})
	m.SetPaths(pathsDouble{{DC: 2, Path: auto.PathMiddle}, {DC: 3, Path: auto.PathDirect}, {Other: true, Path: auto.PathMiddle}})
	m.PathSwitched(auto.SwitchEvent{DC: 2, To: auto.PathMiddle})
	m.PathSwitched(auto.SwitchEvent{DC: 2, To: auto.PathMiddle})
	m.PathSwitched(auto.SwitchEvent{DC: 99, To: auto.PathDirect}) // no label of its own
	m.PathSwitched(auto.SwitchEvent{Other: true, To: auto.PathDirect})
	m.PathSwitched(auto.SwitchEvent{DC: 2, To: auto.NumPaths}) // out of range: ignored
	fams := families(t, m)
	for _, c := range []struct {
		dc, path string
		v        float64
	}{{"2", "middle", 1}, {"2", "direct", 0}, {"3", "direct", 1}, {"other", "middle", 1}, {"4", "direct", 1}} {
		if got := value(t, fams, "mtproxy_upstream_path", "dc", c.dc, "path", c.path); got != c.v {
			t.Errorf("path dc %s %s = %v, want %v", c.dc, c.path, got, c.v)
		}
	}
	if got := value(t, fams, "mtproxy_upstream_path_switches_total", "dc", "2", "to", "middle"); got != 2 {
		t.Errorf("switches of DC 2 to middle %v, want 2", got)
	}
	if got := value(t, fams, "mtproxy_upstream_path_switches_total", "dc", "other", "to", "direct"); got != 2 {
		t.Errorf("switches of other to direct %v, want 2", got)
	}
}
