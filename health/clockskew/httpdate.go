package clockskew

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// dateResolution is the granularity of an HTTP Date: whole seconds,
// truncated (RFC 9110 section 5.6.7).
const dateResolution = time.Second

// FromHTTPDate estimates the clock offset from the Date header of an HTTP
// response to a request sent at sent and whose response arrived at
// received, both read from this host's clock.
//
// The server stamped the header at some instant within [sent, received] of
// our clock, and that instant's UTC lies within [Date, Date+1s) since the
// header truncates to whole seconds. The offset therefore lies within
// [sent-Date-1s, received-Date]; the estimate is that interval's middle,
//
//	Offset      = (sent+received)/2 - (Date + 0.5s)
//	Uncertainty = (received-sent)/2 + 0.5s
//
// so a 1s-resolution header can never claim better than ±0.5s. At is set
// to received; Server is left for the caller to fill. Errors wrap
// [ErrBadDate] or are [ErrBadTiming].
func FromHTTPDate(header string, sent, received time.Time) (Sample, error) {
	if received.Before(sent) {
		return Sample{}, ErrBadTiming
	}
	date, err := http.ParseTime(strings.TrimSpace(header))
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %q", ErrBadDate, truncate(header, 64))
	}
	rtt := received.Sub(sent)
	mid := sent.Add(rtt / 2)
	return Sample{
		Source:      SourceHTTPDate,
		Offset:      mid.Sub(date.Add(dateResolution / 2)),
		Uncertainty: rtt/2 + dateResolution/2,
		At:          received,
	}, nil
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
