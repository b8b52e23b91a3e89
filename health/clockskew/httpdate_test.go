package clockskew

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFromHTTPDateVectors(t *testing.T) {
	base := time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	cases := []struct {
		header         string
		sent, received time.Duration // after base
		offset, unc    time.Duration
	}{
		// Our clock reads 10:00:00.4 at the middle of the exchange; UTC
		// was 10:00:03.0..03.999 when the header was made.
		{"Sun, 09 Mar 2025 10:00:03 GMT", 200 * ms, 600 * ms, -3100 * ms, 700 * ms},
		// We are ahead by about a minute; zero round trip.
		{"Sun, 09 Mar 2025 09:59:00 GMT", 0, 0, 59500 * ms, 500 * ms},
		// RFC 850 and ANSI C forms are accepted too (RFC 9110 5.6.7).
		{"Sunday, 09-Mar-25 10:00:00 GMT", 1000 * ms, 3000 * ms, 1500 * ms, 1500 * ms},
		{"Sun Mar  9 10:00:00 2025", 0, 1000 * ms, 0, 1000 * ms},
		{"  Sun, 09 Mar 2025 10:00:00 GMT\t", 0, 0, -500 * ms, 500 * ms},
	}
	for _, c := range cases {
		s, err := FromHTTPDate(c.header, base.Add(c.sent), base.Add(c.received))
		if err != nil {
			t.Errorf("%q: %v", c.header, err)
			continue
		}
		if s.Offset != c.offset || s.Uncertainty != c.unc || s.Source != SourceHTTPDate || !s.At.Equal(base.Add(c.received)) {
			t.Errorf("%q: got %+v, want offset %v ± %v", c.header, s, c.offset, c.unc)
		}
	}
}

func TestFromHTTPDateErrors(t *testing.T) {
	now := time.Now()
	for _, h := range []string{"", "yesterday", "Sun, 09 Mar 2025 25:00:00 GMT", "1741514400", "Sun, 09 Mar 2025 10:00:00 +0100"} {
		if _, err := FromHTTPDate(h, now, now); !errors.Is(err, ErrBadDate) {
			t.Errorf("%q: err = %v, want ErrBadDate", h, err)
		}
	}
	if _, err := FromHTTPDate(now.UTC().Format(http.TimeFormat), now, now.Add(-time.Millisecond)); !errors.Is(err, ErrBadTiming) {
		t.Errorf("received before sent: err = %v", err)
	}
}

// A server whose clock is off produces a Date header that, measured over a
// real HTTP exchange, bounds the true offset.
func TestFromHTTPDateSkewedServer(t *testing.T) {
	for _, serverAhead := range []time.Duration{7 * time.Second, -42 * time.Second, 0} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", time.Now().Add(serverAhead).UTC().Format(http.TimeFormat))
		}))
		sent := time.Now()
		resp, err := ts.Client().Get(ts.URL)
		received := time.Now()
		ts.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		s, err := FromHTTPDate(resp.Header.Get("Date"), sent, received)
		if err != nil {
			t.Fatal(err)
		}
		// The truth (we are behind by serverAhead) must lie in the interval.
		if lo, hi := s.Offset-s.Uncertainty, s.Offset+s.Uncertainty; -serverAhead < lo || -serverAhead > hi {
			t.Errorf("server ahead %v: estimate %v ± %v excludes the truth", serverAhead, s.Offset, s.Uncertainty)
		}
		if s.Uncertainty < 500*time.Millisecond || s.Uncertainty > 2*time.Second {
			t.Errorf("uncertainty %v", s.Uncertainty)
		}
	}
}
