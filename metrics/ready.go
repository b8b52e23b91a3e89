package metrics

import (
	"fmt"
	"time"
)

// NotReady lists, one phrase each, the conditions for serving clients that
// s does not meet; it is empty when the proxy is ready:
//
//   - the client listener accepts connections;
//   - the DC prober's last round reached at least one DC;
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
		out = append(out, fmt.Sprintf("telegram: none of the %d probed DCs is reachable", s.Probe.DCs))
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
