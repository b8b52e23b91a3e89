package config

import (
	"fmt"
	"strings"
)

// Usage returns the help text: every variable with its flag, default and
// meaning, then the official mtproto-proxy options accepted.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: mtproxy [flags] [proxy-config-file]\n\n")
	b.WriteString("Settings come from, in increasing precedence: defaults, environment, ARGS, command line.\n\n")
	v := newValues()
	for _, s := range settingTable() {
		if s.flag == "" {
			continue
		}
		def := s.field(v).String()
		if def != "" {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(&b, "  %-24s --%-24s %s%s\n", s.env, s.flag, s.usage, def)
	}
	b.WriteString("\nOfficial mtproto-proxy options:\n")
	for _, a := range aliasTable() {
		fmt.Fprintf(&b, "  %-26s %s\n", dashed(a.name), a.usage)
	}
	return b.String()
}
