// Package fakecore is a fake core.telegram.org for tests: an HTTP server
// on loopback serving getProxySecret, getProxyConfig and getProxyConfigV6
// with contents a test controls. It can swap the files, serve broken ones,
// answer with an error status, go down (connections reset without an
// answer), hold requests unanswered until released, skew its Date header,
// and it counts the requests per path.
package fakecore

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Paths served, as on core.telegram.org.
const (
	PathSecret   = "/getProxySecret"
	PathConfig   = "/getProxyConfig"
	PathConfigV6 = "/getProxyConfigV6"
)

// Server is a fake core.telegram.org.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	files    map[string][]byte
	status   int
	down     bool
	skew     time.Duration
	hold     chan struct{} // non-nil: requests wait until it is closed
	requests map[string]int
}

// New starts a server on 127.0.0.1 serving the given files (nil: 404
// until set).
func New(secret, config, configV6 []byte) *Server {
	s := &Server{
		files:    map[string][]byte{PathSecret: secret, PathConfig: config, PathConfigV6: configV6},
		requests: map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's base URL, e.g. "http://127.0.0.1:40000".
func (s *Server) URL() string { return s.srv.URL }

// SecretURL, ConfigURL and ConfigV6URL are the files' URLs.
func (s *Server) SecretURL() string   { return s.srv.URL + PathSecret }
func (s *Server) ConfigURL() string   { return s.srv.URL + PathConfig }
func (s *Server) ConfigV6URL() string { return s.srv.URL + PathConfigV6 }

// Set replaces the file served at path (one of the Path constants).
func (s *Server) Set(path string, b []byte) {
	s.mu.Lock()
	s.files[path] = append([]byte(nil), b...)
	s.mu.Unlock()
}

// SetStatus makes every answer an empty one with this status; 0 or 200
// restores normal answers.
func (s *Server) SetStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

// SetDown makes the server reset every connection without answering
// (down true) or answer again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
	if down {
		s.srv.CloseClientConnections()
	}
}

// Hold makes every request wait, unanswered, until release is called (or
// the client goes away); a held request is counted by Requests as soon as
// it arrives, so a test can wait for a client to be stuck on it. release
// may be called more than once.
func (s *Server) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.hold == ch {
				s.hold = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

// SetDateSkew makes the Date header run d ahead of the real clock
// (negative: behind).
func (s *Server) SetDateSkew(d time.Duration) {
	s.mu.Lock()
	s.skew = d
	s.mu.Unlock()
}

// Requests returns how many requests reached path (including those
// refused while down).
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	body, known := s.files[r.URL.Path]
	status, down, skew, hold := s.status, s.down, s.skew, s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // reset, not a clean close
				}
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
	switch {
	case status != 0 && status != http.StatusOK:
		w.WriteHeader(status)
	case !known || body == nil:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	}
}
