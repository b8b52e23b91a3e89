package webproxy

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"html/template"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// Carrier is the WEB proxy relay: an http.Handler for the whole virtual
// host, behind the operator's TLS terminator. It serves the bridge page
// to authentic capabilities, the session API to authentic tokens, and
// hands everything else to the public site.
type Carrier struct {
	o       Options
	prefix  string // "/" or "/P/"
	origin  string // https://H[/P]
	caps    capabilities
	chunks  *chunkPool
	pending *budget
	streams atomic.Int64
	bufs    sync.Pool // *[]byte down batches
	page    *template.Template

	mu       sync.Mutex
	closed   bool
	sessions map[string]*session
	ended    tombstones[string] // tokens of ended sessions
	boots    bootstraps
}

// New validates o and returns a Carrier.
func New(o Options) (*Carrier, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Carrier{
		o:        o,
		prefix:   "/",
		origin:   "https://" + o.Host,
		caps:     capabilities{src: o.Secrets, host: o.Host, basePath: o.BasePath},
		chunks:   newChunkPool(),
		pending:  &budget{max: o.MaxPending},
		sessions: map[string]*session{},
		ended:    newTombstones[string](o.Tombstones),
		boots:    newBootstraps(o.MaxBootstraps),
		page:     parsePage(),
	}
	if o.BasePath != "" {
		c.prefix = "/" + o.BasePath + "/"
		c.origin += "/" + o.BasePath
	}
	c.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	return c, nil
}

// Sessions returns the number of sessions open now.
func (c *Carrier) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

// Close ends every session and refuses new ones. Requests in flight are
// answered as for an ended session.
func (c *Carrier) Close() error {
	c.mu.Lock()
	c.closed = true
	all := make([]*session, 0, len(c.sessions))
	for _, s := range c.sessions {
		all = append(all, s)
	}
	c.mu.Unlock()
	for _, s := range all {
		s.end("shutdown")
	}
	return nil
}

// forget drops an ended session; its token stays known as ended.
func (c *Carrier) forget(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions[s.token] == s {
		delete(c.sessions, s.token)
		c.ended.add(s.token)
	}
}

// token returns a fresh 256-bit token in base64url, 43 characters.
func (c *Carrier) token() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(c.o.Rand, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (c *Carrier) getBuf() *[]byte {
	b := c.bufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func (c *Carrier) putBuf(b *[]byte) {
	if cap(*b) <= 4<<20 {
		c.bufs.Put(b)
	}
}

// newSession registers a session for a consumed bootstrap. It returns nil
// when the carrier is full or closed.
func (c *Carrier) newSession(e capEntry, r *http.Request) (*session, error) {
	tok, err := c.token()
	if err != nil {
		return nil, err
	}
	var base [2]byte
	if _, err := io.ReadFull(c.o.Rand, base[:]); err != nil {
		return nil, err
	}
	remote := c.clientAddr(r)
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		c: c, token: tok, mode: c.o.Mode, secret: e, remote: remote, local: localAddr(r),
		portBase: binary.BigEndian.Uint16(base[:]),
		budget:   &budget{parent: c.pending, max: c.o.MaxSessionPending},
		ctx:      ctx, cancel: cancel,
		streams: map[uint32]*stream{}, tomb: newTombstones[uint32](c.o.Tombstones),
	}
	s.log = c.o.Logger.With(zap.String("secret", e.label()), zap.Stringer("carrier", s.mode))
	s.touch()
	s.newIdleTimer()
	return s, nil
}
