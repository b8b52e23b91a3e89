package metrics

import (
	"fmt"
	"strings"
	"time"
)

// NotReady lists, one phrase each, the conditions for serving clients that
// s does not meet; it is empty when the proxy is ready:
//
//   - the client listener accepts connections;
//   - in the DC prober's last round at least one DC answered at the
//     protocol level (a TCP connect is not enough);
//   - in middle mode, Telegram's config is loaded and at least one middle
//     proxy has a ready RPC connection.
func (s *Snapshot) NotReady() []string {
	var out []string
	if !s.Client.Listening {
		out = append(out, "client listener: not accepting connections")
	}
	switch {
	case !s.Probe.Wired:
		out = append(out, "telegram: the DC prober is not running")
	case s.Probe.DCs == 0:
		out = append(out, "telegram: no DC probe round has completed yet")
	case s.Probe.Up == 0:
		out = append(out, fmt.Sprintf("telegram: none of the %d probed DCs answers%s", s.Probe.DCs, s.downReasons()))
	}
	if s.Mode != ModeMiddle {
		return out
	}
	if !s.Middle.Wired || s.Middle.Config.LoadedAt.IsZero() {
		out = append(out, "middle proxy: Telegram's proxy config is not loaded")
	} else if s.Middle.ReadyTargets == 0 {
		out = append(out, fmt.Sprintf("middle proxy: none of the %d middle proxies has a ready connection (config loaded %s ago)",
			s.Middle.DeclaredTargets, s.Taken.Sub(s.Middle.Config.LoadedAt).Round(time.Second)))
	}
	return out
}

// maxReasons bounds the DCs whose reason a not-ready line names.
const maxReasons = 3

// downReasons names why the first probed DCs are down: ": dc 1 (reset:
// ...), dc 2 (...)".
func (s *Snapshot) downReasons() string {
	var parts []string
	for _, d := range s.DCs {
		if !d.Known || !d.Probed || d.HealthDC != d.ID || d.Health.Up || !d.Health.Reason.Addr.IsValid() || len(parts) == maxReasons {
			continue
		}
		r := d.Health.Reason
		parts = append(parts, fmt.Sprintf("dc %d %s: %s", d.ID, r.Result, r.Describe()))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}
