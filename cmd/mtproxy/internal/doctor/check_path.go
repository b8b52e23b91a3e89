package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// mediaLoss is what clients served directly lose, in the operator's words.
const mediaLoss = "photos, videos and stories of accounts without Premium will not load"

// checkPath says how clients would reach Telegram, and warns, in plain
// words, when they would be served directly: Telegram's clients without
// Premium load no media through a proxy that connects straight to the DCs,
// and an ad tag needs the middle proxies. In MODE=auto the answer comes
// from the files and middle-proxy checks (and from a running proxy's
// /stats, which says which DCs it serves directly now).
func (s *session) checkPath(context.Context) Result {
	switch s.cfg.Mode {
	case config.ModeDirect:
		return warnf("clients are served directly (MODE=direct): %s, and an ad tag needs the middle proxies; use MODE=auto (the default)", mediaLoss)
	case config.ModeMiddle:
		return okf("clients go through the middle proxies (MODE=middle)")
	}
	mr := s.mids()
	var r Result
	switch {
	case mr.err != nil || mr.secret == nil:
		r = warnf("MODE=auto would serve every client directly: Telegram's files are unavailable (see proxy secret, proxy config); %s until they download", mediaLoss)
	default:
		if down := mr.downDCs(); len(down) > 0 {
			ids := make([]string, len(down))
			for i, id := range down {
				ids[i] = fmt.Sprint(id)
			}
			r = warnf("MODE=auto would serve DC %s directly: no working middle proxy (see middle proxies); %s there", strings.Join(ids, ", "), mediaLoss)
		} else {
			r = okf("clients go through the middle proxies (MODE=auto, %s files; every DC has a working middle proxy)", mr.from)
		}
	}
	if direct := s.runningDirect(); len(direct) > 0 {
		r = r.note(fmt.Sprintf("the running proxy serves DC %s directly now: %s there", strings.Join(direct, ", "), mediaLoss)).atLeast(Warn)
	}
	if !s.cfg.DirectFallback {
		r = r.note("DIRECT_FALLBACK is off: a DC whose middle proxies go down is not served until they come back")
	}
	return r
}

// runningDirect lists the DCs a running proxy's /stats shows on the direct
// path (dc_<id>_path), sorted.
func (s *session) runningDirect() []string {
	rp := s.running()
	var out []string
	for k, v := range rp.stats {
		if id, ok := strings.CutPrefix(k, "dc_"); ok && v == "direct" {
			if id, ok = strings.CutSuffix(id, "_path"); ok {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}
