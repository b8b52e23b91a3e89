package tgconfig

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Config is a parsed getProxyConfig file.
type Config struct {
	// Default is the DC whose middle proxies serve clients asking for a DC
	// that has none; 0 when the file has no default statement.
	Default int
	// Targets lists the middle proxies of each DC in file order; negative
	// ids are media DCs. Every listed DC has at least one address.
	Targets map[int][]netip.AddrPort
	// Timeout, MinConnections and MaxConnections are zero when absent.
	Timeout        time.Duration
	MinConnections int
	MaxConnections int
}

// DCs returns the DC ids that have middle proxies, sorted.
func (c *Config) DCs() []int {
	ids := make([]int, 0, len(c.Targets))
	for id := range c.Targets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Validate checks that c is fit to replace prev (nil at startup): it lists
// middle proxies (ErrEmpty), its default DC has some (ErrNoDefault; a file
// without a default statement therefore fails, since DC 0 is never listed),
// and, against prev, it did not lose half or more of the DCs
// (ErrShrunk): a truncated download or a broken publication should keep the
// running config rather than strand clients.
func (c *Config) Validate(prev *Config) error {
	if c == nil || len(c.Targets) == 0 {
		return ErrEmpty
	}
	if len(c.Targets[c.Default]) == 0 {
		return fmt.Errorf("%w: DC %d", ErrNoDefault, c.Default)
	}
	if prev != nil && 2*len(c.Targets) < len(prev.Targets) {
		return fmt.Errorf("%w: %d DCs, previously %d", ErrShrunk, len(c.Targets), len(prev.Targets))
	}
	return nil
}

// MarshalText renders c in the file format, canonically: default, the
// optional settings, then proxy_for lines by ascending DC, addresses in
// order. Parse of the result gives c back.
func (c *Config) MarshalText() ([]byte, error) {
	b := fmt.Appendf(nil, "default %d;\n", c.Default)
	if c.Timeout != 0 {
		b = fmt.Appendf(b, "timeout %d;\n", c.Timeout.Milliseconds())
	}
	if c.MinConnections != 0 {
		b = fmt.Appendf(b, "min_connections %d;\n", c.MinConnections)
	}
	if c.MaxConnections != 0 {
		b = fmt.Appendf(b, "max_connections %d;\n", c.MaxConnections)
	}
	for _, dc := range c.DCs() {
		for _, a := range c.Targets[dc] {
			b = fmt.Appendf(b, "proxy_for %d %s;\n", dc, a)
		}
	}
	return b, nil
}
