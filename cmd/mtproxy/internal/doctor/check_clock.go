package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/health/clockskew"
)

// checkClock measures the offset from UTC over SNTP and from the Date
// header of Telegram's config response (the download of the proxy config
// check), and grades the worse of the two: above 2 s a warning, above 5 s
// a failure. A sample is graded by what it proves, |offset| minus its
// uncertainty, so a slow HTTPS round trip (a wide Date estimate) cannot
// raise a false alarm. With neither source the offset is unknown: a
// warning, since blocked UDP 123 does not make the clock wrong.
func (s *session) checkClock(ctx context.Context) Result {
	var samples []clockskew.Sample
	var failures []string

	ntp, err := clockskew.MeasureNTP(ctx, clockskew.Options{
		Servers: s.cfg.NTPServers, Timeout: s.o.Timeout, Dial: s.o.NTPDial,
	}, nil)
	if err == nil {
		samples = append(samples, ntp)
	} else {
		failures = append(failures, "NTP: "+ntpFailure(err))
	}

	f := s.files()
	d := f.config
	if !d.answered() {
		d = f.secret
	}
	switch {
	case !d.answered():
		failures = append(failures, "Telegram Date: no response")
	default:
		hs, err := clockskew.FromHTTPDate(d.date, d.sent, d.received)
		if err != nil {
			failures = append(failures, "Telegram Date: "+err.Error())
			break
		}
		hs.Server = d.host()
		samples = append(samples, hs)
	}

	if len(samples) == 0 {
		return warnf("offset from UTC unknown").note(failures...)
	}
	worst, sev := samples[0], clockskew.OK
	var parts []string
	for _, x := range samples {
		parts = append(parts, describeSample(x))
		if v := grade(x); v >= sev {
			worst, sev = x, v
		}
	}
	r := okf("%s", strings.Join(parts, "; "))
	switch sev {
	case clockskew.Warning:
		r.Status = Warn
		r = r.note(fmt.Sprintf("%s off UTC: strict FakeTLS clients may refuse the proxy; run a time daemon (chrony, systemd-timesyncd)", fmtOffset(worst.Offset)))
	case clockskew.Critical:
		r.Status = Fail
		r = r.note(fmt.Sprintf("%s off UTC (limit 5 s): FakeTLS clients fail and middle proxies refuse clocks 30 s off; run a time daemon (chrony, systemd-timesyncd)", fmtOffset(worst.Offset)))
	}
	return r.note(failures...)
}

// grade classifies what a sample proves: |offset| less its uncertainty.
func grade(x clockskew.Sample) clockskew.Severity {
	proven := x.Offset.Abs() - x.Uncertainty
	return clockskew.Classify(max(proven, 0), clockskew.Options{})
}

func describeSample(x clockskew.Sample) string {
	src := "NTP"
	if x.Source == clockskew.SourceHTTPDate {
		src = "Date header"
	}
	return fmt.Sprintf("%s ±%s (%s %s)", fmtOffset(x.Offset), fmtDur(x.Uncertainty), src, x.Server)
}

// ntpFailure words a failed NTP round: each server's failure.
func ntpFailure(err error) string {
	var qe *clockskew.QueryError
	var parts []string
	for _, e := range unjoin(err) {
		if errors.As(e, &qe) {
			parts = append(parts, fmt.Sprintf("%s %s (%v)", qe.Server, qe.Failure, qe.Err))
		}
	}
	if len(parts) == 0 {
		return oneLine(err)
	}
	return "no answer: " + strings.Join(parts, ", ")
}

// unjoin returns the leaves of an error tree built with errors.Join and
// %w wrapping.
func unjoin(err error) []error {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, x := range e.Unwrap() {
			out = append(out, unjoin(x)...)
		}
		return out
	case *clockskew.QueryError:
		return []error{e}
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return unjoin(inner)
		}
	}
	return []error{err}
}

// fmtOffset is a signed offset, "+0.012s" (positive: this host is ahead).
func fmtOffset(d time.Duration) string {
	return fmt.Sprintf("%+.3fs", d.Seconds())
}
