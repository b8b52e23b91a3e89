package metrics

import "github.com/mtproxy/mtproxy/proxy/auto"

// PathSource is what the metrics pull from the MODE=auto upstream at
// scrape time; *auto.Auto implements it.
type PathSource interface {
	Paths() []auto.DCPath
}

type pathSource struct{ PathSource }

var _ auto.Observer = (*Metrics)(nil)

// SetPaths registers the MODE=auto upstream, whose per-DC paths give
// mtproxy_upstream_path. Without one, every DC shows the mode's path.
func (m *Metrics) SetPaths(p PathSource) { m.paths.Store(&pathSource{p}) }

// PathSwitched counts one switch of a DC's path
// (mtproxy_upstream_path_switches_total).
func (m *Metrics) PathSwitched(ev auto.SwitchEvent) {
	if ev.To >= auto.NumPaths {
		return
	}
	d := m.dcs.other()
	if !ev.Other {
		d = m.dcs.index(ev.DC)
	}
	m.switches[d*int(auto.NumPaths)+int(ev.To)].Add(1)
}

// fillPaths sets each DC label's path and switch counts.
func (m *Metrics) fillPaths(s *Snapshot) {
	def := auto.PathDirect
	if s.Mode == ModeMiddle {
		def = auto.PathMiddle
	}
	for i := range s.DCs {
		d := &s.DCs[i]
		d.Path = def
		for p := range auto.NumPaths {
			d.PathSwitches[p] = m.switches[i*int(auto.NumPaths)+int(p)].Load()
		}
	}
	src := m.paths.Load()
	if src == nil {
		return
	}
	for _, p := range src.Paths() {
		i := m.dcs.other()
		if !p.Other {
			i = m.dcs.index(p.DC)
			if i == m.dcs.other() {
				continue // a DC without a label of its own: "other" is the shared state's
			}
		}
		s.DCs[i].Path = p.Path
	}
}
