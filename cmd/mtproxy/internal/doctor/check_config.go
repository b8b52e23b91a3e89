package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// checkConfig summarizes the loaded settings; Load's warnings make it a
// warning. (A configuration that does not load never gets here: Diagnose
// reports it as the only, failed, check.)
func (s *session) checkConfig(context.Context) Result {
	c := s.cfg
	mode := fmt.Sprintf("mode %s", c.Mode)
	if c.Mode == config.ModeAuto {
		if c.DirectFallback {
			mode += fmt.Sprintf(" (middle proxies, direct while they are down for %s)", c.DirectFallbackAfter)
		} else {
			mode += " (middle proxies; DIRECT_FALLBACK off)"
		}
	}
	parts := []string{mode, secretsSummary(s.l)}
	if c.TLSDomain != "" {
		ft := "FakeTLS " + c.TLSDomain
		if c.TLSOnly {
			ft += " only"
		}
		parts = append(parts, ft)
	}
	parts = append(parts, fmt.Sprintf("PORT %d, INTERNAL_PORT %d", c.Port, c.InternalPort))
	r := okf("%s", strings.Join(parts, "; "))
	tag := s.tagWarning()
	for _, w := range s.l.warnings {
		if string(w) != tag { // the tag check reports it
			r = r.note(string(w)).atLeast(Warn)
		}
	}
	if s.l.secretFileErr != nil {
		r = r.note(fmt.Sprintf("SECRET_FILE %s cannot be read (%v): the proxy would use new secrets at every start", c.SecretFile, s.l.secretFileErr)).atLeast(Warn)
	}
	return r
}

func secretsSummary(l loaded) string {
	c := l.cfg
	if l.noSecret {
		return fmt.Sprintf("no secret yet (%d to be generated into SECRET_FILE %s at the first start)", c.SecretCount, c.SecretFile)
	}
	n := "1 secret"
	if len(c.Secrets) != 1 {
		n = fmt.Sprintf("%d secrets", len(c.Secrets))
	}
	switch c.SecretSource {
	case config.SecretsFromFile:
		return n + " from SECRET_FILE " + c.SecretFile
	case config.SecretsFromEnv:
		return n + " from SECRET"
	}
	return n
}
