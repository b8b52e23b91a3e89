package doctor

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Command is a parsed `mtproxy doctor` command line.
type Command struct {
	// JSON asks for the report as one JSON object (--json).
	JSON bool
	// Options carries --timeout and --hide-links.
	Options Options
	// ConfigArgs are the remaining words: the proxy's own flags, for
	// Diagnose.
	ConfigArgs []string
}

// ParseArgs takes doctor's own flags out of args, wherever they are, and
// leaves the rest, the proxy's flags, in Command.ConfigArgs:
//
//	--json               print the report as JSON
//	--timeout=DURATION   bound on each network step (default 3s)
//	--hide-links         elide the secrets in the links
//	-h, --help           usage (returns flag.ErrHelp)
//
// Flags take one or two dashes; --timeout takes its value after = or as
// the next word. A "--" ends doctor's flags. Errors wrap ErrUsage.
func ParseArgs(args []string) (Command, error) {
	var c Command
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			c.ConfigArgs = append(c.ConfigArgs, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") {
			name = ""
		}
		switch name {
		case "h", "help":
			return c, flag.ErrHelp
		case "json", "hide-links":
			if hasValue {
				return c, fmt.Errorf("%w: --%s takes no value", ErrUsage, name)
			}
			if name == "json" {
				c.JSON = true
			} else {
				c.Options.HideLinks = true
			}
		case "timeout":
			if !hasValue {
				if i+1 == len(args) {
					return c, fmt.Errorf("%w: --timeout needs a duration (example: --timeout=5s)", ErrUsage)
				}
				i++
				value = args[i]
			}
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 || d > time.Minute {
				return c, fmt.Errorf("%w: --timeout %q is not a duration between 0 and 1m (example: --timeout=5s)", ErrUsage, value)
			}
			c.Options.Timeout = d
		default:
			c.ConfigArgs = append(c.ConfigArgs, a)
		}
	}
	return c, nil
}

// Usage is the help text of `mtproxy doctor`; the proxy's settings
// (config.Usage) follow it.
func Usage() string {
	return `Usage: mtproxy doctor [--json] [--timeout=3s] [--hide-links] [proxy flags]

Checks what the proxy depends on with the proxy's own settings (the same
environment variables, ARGS and flags): clock, addresses and NAT, ports,
a running proxy, every DC, Telegram's files and middle proxies, the tag,
the FakeTLS fronting site, and prints the links. Nothing is written.

  --json           print the report as one JSON object
  --timeout=D      bound on each network step (default 3s, at most 1m)
  --hide-links     elide the secrets in the links, for a report to share

Exit code: 0 when no check failed (warnings allowed), 1 when one failed,
2 for a bad command line.

`
}
