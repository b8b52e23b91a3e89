package doctor

import (
	"context"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// checkTag tells whether the advertising tag will reach Telegram. Only the
// middle proxies carry it, so a tag in direct mode is silently unused; a
// malformed TAG was already dropped by config.Load with a warning, which
// is repeated here since it is the tag's problem. The tag itself is not
// printed: the report may be shared, and the tag ties it to a channel.
func (s *session) checkTag(context.Context) Result {
	c := s.cfg
	bad := s.tagWarning()
	switch {
	case bad != "":
		r := warnf("TAG is malformed and ignored: no sponsored channel is shown")
		if s.usesMiddle() {
			r.Detail += "; the middle proxies still work"
		}
		return r.note(bad)
	case !c.HasTag && c.Mode == config.ModeMiddle:
		return skipf("no TAG (MODE=middle): no sponsored channel is shown; get one from @MTProxybot")
	case !c.HasTag:
		return skipf("no TAG: no sponsored channel (a TAG needs MODE=middle or auto)")
	case c.Mode == config.ModeDirect:
		return warnf("TAG is set but MODE=%s: the tag is only sent through the middle proxies; set MODE=auto or middle", c.Mode)
	}
	r := okf("set (16 bytes); sent with every client packet through the middle proxies")
	if c.Mode == config.ModeAuto {
		r.Detail += " (MODE=auto: not for the clients it serves directly, see path)"
	}
	return r
}

// tagWarning returns Load's warning about TAG, if any.
func (s *session) tagWarning() string {
	for _, w := range s.l.warnings {
		if strings.Contains(string(w), "(TAG)") {
			return string(w)
		}
	}
	return ""
}
