package webproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"go.uber.org/zap"
)

// wsProtocolPrefix starts the WebSocket protocol that names a session.
const wsProtocolPrefix = "tproxy-v1."

// wsToken returns the session token a WebSocket upgrade names in its one
// offered protocol, tproxy-v1.<token>.
func wsToken(r *http.Request) (string, bool) {
	offered := wsProtocols(r)
	if len(offered) == 0 {
		return "", false
	}
	tok, ok := strings.CutPrefix(offered[0], wsProtocolPrefix)
	return tok, ok && len(tok) == 43
}

func wsProtocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// wsRules checks a session's WebSocket upgrade: a GET upgrade with no
// query, no Authorization, and exactly one protocol offered.
func wsRules(r *http.Request) bool {
	h := r.Header
	return r.Method == http.MethodGet && r.URL.RawQuery == "" && !r.URL.ForceQuery &&
		len(h.Values("Authorization")) == 0 && len(wsProtocols(r)) == 1 &&
		strings.EqualFold(h.Get("Upgrade"), "websocket") && h.Get("Sec-WebSocket-Key") != ""
}

// serveWS carries a websocket-mode session over its one socket: binary
// messages of whole frames each way. Losing the socket ends the session.
func (c *Carrier) serveWS(w http.ResponseWriter, r *http.Request, s *session, tok string) {
	if !wsRules(r) || s.mode != ModeWebSocket {
		local(w, http.StatusNotFound)
		return
	}
	s.mu.Lock()
	if s.ended || s.wsUsed {
		s.mu.Unlock()
		local(w, http.StatusNotFound)
		return
	}
	s.wsUsed = true
	s.mu.Unlock()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:    []string{wsProtocolPrefix + tok},
		OriginPatterns:  []string{c.o.Host, c.o.Host + ":*"},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.Debug("web proxy socket refused", zap.Error(err))
		s.end("socket refused")
		return
	}
	conn.SetReadLimit(wire.MaxBatchBytes)
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		_ = conn.CloseNow()
		return
	}
	s.ws = conn
	s.mu.Unlock()
	s.touch()
	var heard atomic.Bool
	go c.wsWrite(s, conn)
	go c.wsKeep(s, conn, &heard)
	err = c.wsRead(s, conn, &heard)
	switch {
	case errors.Is(err, errEnded) || s.ctx.Err() != nil:
		s.end("ended")
	case isProtocol(err):
		s.log.Info("web proxy session broke the protocol", zap.Error(err))
		s.end("protocol error")
	default:
		s.end("socket closed")
	}
}

func isProtocol(err error) bool {
	return errors.Is(err, errProtocol) || errors.Is(err, wire.ErrPartial) || errors.Is(err, wire.ErrUnknownType) ||
		errors.Is(err, wire.ErrWrongDirection) || errors.Is(err, wire.ErrBadStream) || errors.Is(err, wire.ErrBadPayload) ||
		errors.Is(err, wire.ErrTooLarge) || errors.Is(err, wire.ErrBatch)
}

// wsRead applies the client's messages until the socket fails.
func (c *Carrier) wsRead(s *session, conn *websocket.Conn, heard *atomic.Bool) error {
	buf := make([]byte, 0, 64<<10)
	for {
		typ, rd, err := conn.Reader(s.ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageBinary {
			return fmt.Errorf("%w: a text message", errProtocol)
		}
		if buf, err = readMessage(buf[:0], rd); err != nil {
			return err
		}
		heard.Store(true)
		s.touch()
		c.o.Observer.CarrierBytes(FromClient, len(buf))
		if err := c.receive(s, buf, true); err != nil {
			return err
		}
	}
}

// readMessage reads one message into buf (the read limit bounds it).
func readMessage(buf []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// wsWrite sends the session's batches, one message each, as they come.
func (c *Carrier) wsWrite(s *session, conn *websocket.Conn) {
	buf := c.getBuf()
	defer c.putBuf(buf)
	for {
		s.mu.Lock()
		for !s.ended && !s.hasOutput() {
			ready := s.readyCh()
			s.mu.Unlock()
			<-ready
			s.mu.Lock()
		}
		if s.ended {
			s.mu.Unlock()
			return
		}
		var payload int64
		*buf, payload = s.fill((*buf)[:0])
		s.mu.Unlock()
		if len(*buf) == 0 {
			continue
		}
		err := conn.Write(s.ctx, websocket.MessageBinary, *buf)
		s.budget.give(payload)
		if err != nil {
			s.end("socket write failed")
			return
		}
		c.o.Observer.CarrierBytes(ToClient, len(*buf))
	}
}

// wsKeep pings a socket silent for a PingInterval and closes it when the
// ping goes unanswered for another.
func (c *Carrier) wsKeep(s *session, conn *websocket.Conn, heard *atomic.Bool) {
	t := time.NewTicker(c.o.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if heard.Swap(false) {
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, c.o.PingInterval)
		err := conn.Ping(ctx)
		cancel()
		if err != nil {
			s.end("socket silent")
			return
		}
		s.touch()
	}
}
