package doctor

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// fmtDur is a latency or uncertainty, rounded for reading: "38ms",
// "1.2s", "850µs".
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// fmtAge is a file's age: "45s", "12m", "3h12m", "4d2h".
func fmtAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future (clock?)"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// plural is "1 DC", "2 DCs".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// httpErr drops the url.Error wrapping ("Get \"https://...\": ") that
// repeats the URL the line already names.
func httpErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
