package middle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// ErrFetch wraps every failed download: transport errors, a status other
// than 200, an oversized body.
var ErrFetch = errors.New("middle: download failed")

// Download is one fetched Telegram file with the HTTP facts of its
// response.
type Download struct {
	// Body is the file; nil on failure.
	Body []byte
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Date is the response's Date header, "" when absent.
	Date string
	// Sent is when the request was sent, Received when the response's
	// headers arrived (by the caller's clock; zero without a response).
	Sent, Received time.Time
}

// Fetch downloads url (getProxySecret or getProxyConfig), reading at most
// limit bytes. The request is bounded by ctx and by the client's own
// timeout. Errors wrap ErrFetch: transport errors, a status other than
// 200, an empty or oversized body. It is the one download of Telegram's
// files, used by the refresher and the doctor.
func Fetch(ctx context.Context, client *http.Client, url string, limit int, now func() time.Time) (Download, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Download{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "*/*")
	d := Download{Sent: now()}
	resp, err := client.Do(req)
	if err != nil {
		return d, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	d.Received, d.Status, d.Date = now(), resp.StatusCode, resp.Header.Get("Date")
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return d, fmt.Errorf("%w: HTTP status %s", ErrFetch, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return d, fmt.Errorf("%w: reading the body: %w", ErrFetch, err)
	}
	if len(b) > limit {
		return d, fmt.Errorf("%w: body larger than %d bytes", ErrFetch, limit)
	}
	if len(b) == 0 {
		return d, fmt.Errorf("%w: empty body", ErrFetch)
	}
	d.Body = b
	return d, nil
}

// ReadCache reads a cache file of at most limit bytes.
func ReadCache(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// checkURL accepts absolute http and https URLs.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrURL, redactURL(s))
	}
	return nil
}
