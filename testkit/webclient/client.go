package webclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// Options describe a client. URL, Host and Secret are required.
type Options struct {
	// URL is where the relay is reached, without a path:
	// http://127.0.0.1:8080, or https://proxy.example.com:8443 through a
	// TLS terminator.
	URL string
	// Host and BasePath are the WEB proxy's link values: the capability is
	// derived from them.
	Host, BasePath string
	// Secret and Form are the secret as the link carries it.
	Secret [16]byte
	Form   wire.Form
	// HTTPClient makes the requests. Default http.DefaultClient.
	HTTPClient *http.Client
	// Header is added to every request (X-Forwarded-For, for instance).
	Header http.Header
}

func (o Options) prefix() string {
	if p := strings.Trim(o.BasePath, "/"); p != "" {
		return "/" + p + "/"
	}
	return "/"
}

func (o Options) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return http.DefaultClient
}

// Errors of this package.
var (
	// ErrStatus: the relay answered with an unexpected status.
	ErrStatus = errors.New("webclient: unexpected status")
	// ErrPage: the page has no bootstrap token.
	ErrPage = errors.New("webclient: no bootstrap token in the page")
)

var bootstrapRE = regexp.MustCompile(`bootstrap="([A-Za-z0-9_-]{43})"`)

// Session is a created session: its token and mode, as the relay said.
type Session struct {
	o     Options
	Token string
	Mode  string
	// Page is the bridge page as served, Header its headers.
	Page   []byte
	Header http.Header
}

// PageURL is the bridge page's URL for o.
func PageURL(o Options) string {
	cap := wire.Capability(wire.SecretBytes(o.Secret, o.Form), o.Host, strings.Trim(o.BasePath, "/"))
	return o.URL + o.prefix() + "?bridge=" + cap
}

// Bootstrap fetches the bridge page and returns it with its token.
func Bootstrap(ctx context.Context, o Options) (page []byte, hdr http.Header, token string, err error) {
	resp, err := Do(ctx, o, http.MethodGet, PageURL(o), nil, nil)
	if err != nil {
		return nil, nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, "", fmt.Errorf("%w: page %d", ErrStatus, resp.StatusCode)
	}
	m := bootstrapRE.FindSubmatch(resp.Body)
	if m == nil {
		return resp.Body, resp.Header, "", ErrPage
	}
	return resp.Body, resp.Header, string(m[1]), nil
}

// Create creates the session of a bootstrap token with HELLO.
func Create(ctx context.Context, o Options, bootstrap string) (*Session, error) {
	resp, err := Do(ctx, o, http.MethodPost, o.URL+o.prefix()+"api/v1/session", wire.Hello(), http.Header{
		"Authorization": {"Bearer " + bootstrap}, "Content-Type": {"application/octet-stream"},
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: session creation %d", ErrStatus, resp.StatusCode)
	}
	if !bytes.Equal(resp.Body, wire.Welcome()) || resp.Header.Get("X-Down-Cursor") != "0" {
		return nil, fmt.Errorf("webclient: bad WELCOME %x (cursor %q)", resp.Body, resp.Header.Get("X-Down-Cursor"))
	}
	s := &Session{o: o, Token: resp.Header.Get("X-Session-Token"), Mode: resp.Header.Get("X-Carrier-Mode")}
	if len(s.Token) != 43 {
		return nil, fmt.Errorf("webclient: session token %q", s.Token)
	}
	return s, nil
}

// Connect fetches the page, creates the session and returns a Mux over
// the transport of the session's mode.
func Connect(ctx context.Context, o Options) (*Mux, *Session, error) {
	page, hdr, boot, err := Bootstrap(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	s, err := Create(ctx, o, boot)
	if err != nil {
		return nil, nil, err
	}
	s.Page, s.Header = page, hdr
	var t Transport
	switch s.Mode {
	case "https":
		t = HTTPS(s)
	case "websocket":
		if t, err = WebSocket(ctx, s); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("webclient: carrier mode %q", s.Mode)
	}
	return NewMux(t), s, nil
}

// Delete ends the session.
func (s *Session) Delete(ctx context.Context) error {
	resp, err := s.do(ctx, http.MethodDelete, "session", nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%w: DELETE %d", ErrStatus, resp.StatusCode)
	}
	return nil
}

// do sends an API request with the session's token.
func (s *Session) do(ctx context.Context, method, route string, body []byte, h http.Header) (*Response, error) {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer "+s.Token)
	return Do(ctx, s.o, method, s.o.URL+s.o.prefix()+"api/v1/"+route, body, h)
}

// Response is a read response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends one request with o's extra headers and reads the answer. A
// nil body sends none (no Content-Type, no length).
func Do(ctx context.Context, o Options, method, url string, body []byte, h http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range o.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := o.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxBatchBytes+1))
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
