package webclient

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// Transport carries a session's frames. Send is called by one goroutine
// at a time, Recv by another.
type Transport interface {
	// Send delivers a batch of whole frames.
	Send(ctx context.Context, batch []byte) error
	// Recv returns the next batch of whole frames.
	Recv(ctx context.Context) ([]byte, error)
	// Close ends the session.
	Close() error
}

// httpsTransport is the https mode: POST up with a sequence number, POST
// down with a cursor, as the page does them.
type httpsTransport struct {
	s      *Session
	seq    uint64
	cursor uint64
	once   sync.Once
}

// HTTPS returns the https-mode transport of s.
func HTTPS(s *Session) Transport { return &httpsTransport{s: s} }

// Send posts the batch as the next up; 503 (nothing applied) and errors
// of the network are retried with the same sequence number and body.
func (t *httpsTransport) Send(ctx context.Context, batch []byte) error {
	t.seq++
	for {
		resp, err := t.s.do(ctx, http.MethodPost, "up", batch, http.Header{
			"Content-Type": {"application/octet-stream"}, "X-Up-Seq": {itoa(t.seq)},
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return err
		case err != nil:
			// Resend: the relay acknowledges a byte-identical resend.
		case resp.StatusCode == http.StatusNoContent:
			if resp.Header.Get("X-Up-Ack") != itoa(t.seq) {
				return fmt.Errorf("webclient: X-Up-Ack %q for %d", resp.Header.Get("X-Up-Ack"), t.seq)
			}
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable:
			if err := sleep(ctx, retryAfter(resp.Header)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: up %d", ErrStatus, resp.StatusCode)
		}
	}
}

// Recv polls down until a batch comes; the cursor acknowledges the last.
func (t *httpsTransport) Recv(ctx context.Context) ([]byte, error) {
	for {
		resp, err := t.s.do(ctx, http.MethodPost, "down", nil, http.Header{"X-Down-Cursor": {itoa(t.cursor)}})
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			continue // the same cursor replays what was lost
		case resp.StatusCode == http.StatusNoContent:
			continue
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("%w: down %d", ErrStatus, resp.StatusCode)
		}
		next, err := strconv.ParseUint(resp.Header.Get("X-Down-Cursor"), 10, 64)
		if err != nil || next != t.cursor+1 {
			return nil, fmt.Errorf("webclient: down cursor %q after %d", resp.Header.Get("X-Down-Cursor"), t.cursor)
		}
		t.cursor = next
		return resp.Body, nil
	}
}

func (t *httpsTransport) Close() error {
	var err error
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = t.s.Delete(ctx)
	})
	return err
}

func retryAfter(h http.Header) time.Duration {
	if n, err := strconv.Atoi(h.Get("Retry-After")); err == nil && n >= 0 && n < 60 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wsTransport is the websocket mode: one socket, binary batches.
type wsTransport struct {
	c *websocket.Conn
}

// WebSocket opens the socket of a websocket-mode session.
func WebSocket(ctx context.Context, s *Session) (Transport, error) {
	u := "ws" + strings.TrimPrefix(s.o.URL, "http") + s.o.prefix() + "api/v1/ws"
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: s.o.HTTPClient, HTTPHeader: s.o.Header.Clone(),
		Subprotocols: []string{"tproxy-v1." + s.Token},
	})
	if err != nil {
		return nil, err
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "tproxy-v1."+s.Token {
		c.CloseNow()
		return nil, fmt.Errorf("webclient: the relay chose protocol %q", got)
	}
	c.SetReadLimit(wire.MaxBatchBytes)
	return &wsTransport{c: c}, nil
}

func (t *wsTransport) Send(ctx context.Context, batch []byte) error {
	return t.c.Write(ctx, websocket.MessageBinary, batch)
}

func (t *wsTransport) Recv(ctx context.Context) ([]byte, error) {
	typ, b, err := t.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("webclient: a text message from the relay")
	}
	return b, nil
}

func (t *wsTransport) Close() error { return t.c.Close(websocket.StatusNormalClosure, "") }
