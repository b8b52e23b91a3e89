package metrics

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

var (
	_ dcprobe.Observer   = (*Metrics)(nil)
	_ clockskew.Observer = (*Metrics)(nil)
	_ netinfo.Observer   = (*Metrics)(nil)
)

// Probed counts one probe of one DC address by its outcome's class. The
// DC's state comes from the prober itself at scrape time (see
// [Metrics.SetProber]).
func (m *Metrics) Probed(id int, o dcprobe.Outcome) {
	if int(o.Result) < dc.NumResults {
		m.probes[m.dcs.index(id)*dc.NumResults+int(o.Result)].Add(1)
	}
}

// StateChanged is part of dcprobe.Observer; the state itself is read from
// the prober's snapshot, so there is nothing to count.
func (m *Metrics) StateChanged(int, bool, dcprobe.Health) {}

// The clock-skew sources, as indexes.
const (
	skewNTP = iota
	skewHTTPDate
	numSkewSources
)

func skewIndex(s clockskew.Source) (int, bool) {
	switch s {
	case clockskew.SourceNTP:
		return skewNTP, true
	case clockskew.SourceHTTPDate:
		return skewHTTPDate, true
	}
	return 0, false
}

// skewState is the latest offset of one source and its check counts.
type skewState struct {
	measured       atomic.Bool
	offset         atomic.Int64 // nanoseconds, our clock minus UTC
	at             atomic.Int64 // unix nanoseconds of the latest sample
	ok, errs       atomic.Uint64
	serverFailures atomic.Uint64 // one NTP server without a valid answer
}

// SkewMeasured records a clock offset estimate and counts a good check.
func (m *Metrics) SkewMeasured(s clockskew.Sample) {
	i, ok := skewIndex(s.Source)
	if !ok {
		return
	}
	st := &m.skew[i]
	st.offset.Store(int64(s.Offset))
	st.at.Store(s.At.UnixNano())
	st.measured.Store(true)
	st.ok.Add(1)
}

// SkewFailed counts a failed check: a whole NTP round without an answer, or
// an unusable Date header. The failure of one NTP server in a round is
// counted apart (the round may still succeed through the others), and a
// check cut short by cancellation (shutdown) is not a failure.
func (m *Metrics) SkewFailed(src clockskew.Source, server string, err error) {
	i, ok := skewIndex(src)
	if !ok || errors.Is(err, context.Canceled) {
		return
	}
	var qe *clockskew.QueryError
	if errors.As(err, &qe) && qe.Failure == clockskew.FailCanceled {
		return
	}
	if src == clockskew.SourceNTP && server != "" {
		m.skew[i].serverFailures.Add(1)
		return
	}
	m.skew[i].errs.Add(1)
}

// The IP look-up results counted, as indexes: the catalogue's closed set.
const (
	lookupOK = iota
	lookupTimeout
	lookupError
	lookupBadAnswer
	numLookupResults
)

func lookupResultNames() [numLookupResults]string {
	return [...]string{"ok", "timeout", "error", "bad_answer"}
}

// Lookup counts one finished external-IP look-up. Look-ups cancelled
// because another answered first (or the caller gave up) are not counted:
// they say nothing about the service.
func (m *Metrics) Lookup(ev netinfo.LookupEvent) {
	var i int
	switch ev.Result {
	case netinfo.ResultOK:
		i = lookupOK
	case netinfo.ResultTimeout:
		i = lookupTimeout
	case netinfo.ResultBadAnswer:
		i = lookupBadAnswer
	case netinfo.ResultCanceled:
		return
	default:
		i = lookupError
	}
	m.lookups[i].Add(1)
}
