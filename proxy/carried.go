package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"

	"github.com/mtproxy/mtproxy/internal/netx"
)

// Carried describes a client stream that reached the proxy inside another
// carrier instead of on the client port: one stream of a WEB proxy
// session (package proxy/webproxy), carried over HTTPS or a WebSocket.
type Carried struct {
	// Remote is the real client's address (the carrier's HTTP peer, or the
	// address a trusted reverse proxy forwarded); Local is the address the
	// client reached. They stand in for the TCP addresses in logs, in the
	// middle proxies' RPC_PROXY_REQ and wherever a Session's are used.
	Remote, Local netip.AddrPort
	// Key is the secret the stream is locked to: the one whose capability
	// opened the carrier session. Only this secret is tried (with
	// Options.Users, the user of this secret, admitted as on the client
	// port).
	Key [16]byte
}

// Errors of ServeCarried.
var (
	// ErrConnectionLimit: the connection was refused at MaxConnections.
	ErrConnectionLimit = errors.New("proxy: connection limit reached")
	// ErrCarriedSecret: the stream's secret is not one of Options.Secrets
	// (or of Options.Users' current keys).
	ErrCarriedSecret = errors.New("proxy: the carried stream's secret is not configured")
)

// ServeCarried serves one carried client stream on conn, as a connection
// of the client port is served, and returns when it ends; it closes conn.
// The stream must carry the obfuscated2 handshake (any of the three
// transports; never FakeTLS, whatever TLSDomain and TLSOnly say: the
// carrier is what hides the client) made with c.Key, which must be one
// of Options.Secrets. From there it takes the client port's path: the
// connection limit, replay refusal, the Upstream (direct or middle), the
// idle timeout, the Observer's events with the secret's index, logs and
// spans. A failed handshake is closed, never fronted. ctx ends the stream
// early; Shutdown and Close treat it as any client connection.
//
// It returns nil once a stream was served (its outcome is reported to the
// Observer), ErrCarriedSecret, or the reason it was refused
// (ErrServerClosed, ErrConnectionLimit).
func (p *Proxy) ServeCarried(ctx context.Context, conn net.Conn, c Carried) error {
	keys := p.keyring(c.Remote.Addr())
	if keys.index(c.Key) < 0 {
		_ = conn.Close()
		return ErrCarriedSecret
	}
	if err := p.admit(conn, true); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	p.serveConn(&carriedConn{Conn: conn, remote: c.Remote, local: c.Local, key: c.Key}, true)
	return nil
}

// carriedConn is a carried stream as the engine sees it: its addresses
// are the real client's, and its handshake accepts one secret only.
type carriedConn struct {
	net.Conn
	remote, local netip.AddrPort
	key           [16]byte
}

func (c *carriedConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }
func (c *carriedConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }

// CloseWrite half-closes the underlying stream when it can.
func (c *carriedConn) CloseWrite() error { return netx.CloseWrite(c.Conn) }

// WaitReadable waits for the underlying stream's bytes when it can (see
// ReadableWaiter), so that an idle carried stream holds no relay buffer.
func (c *carriedConn) WaitReadable() error {
	if w, ok := c.Conn.(ReadableWaiter); ok {
		return w.WaitReadable()
	}
	return errors.ErrUnsupported
}

// handshakeCarried reads a carried stream's obfuscated2 header and accepts
// it with the stream's secret only. Nothing is ever fronted: the carrier
// authenticated the client already, and there is no raw socket to splice.
func (p *Proxy) handshakeCarried(conn *carriedConn, prog *progress) *handshake {
	h := &handshake{secret: -1, answered: true, prog: prog}
	n, err := io.ReadFull(conn, h.opening[:])
	if n > 0 {
		prog.reach(StageFirstByte)
	}
	if err != nil {
		h.consumed = h.opening[:n]
		return h.ioFailure(err)
	}
	prog.reach(StageHandshakeRead)
	remote := conn.remote.Addr()
	keys := p.keyring(remote)
	i := keys.index(conn.key)
	if i < 0 { // a user removed since ServeCarried
		return h.fail(HandshakeBadSecret, ErrCarriedSecret)
	}
	one := keys.only(i)
	return p.acceptHeader(h, &h.opening, &one, remote)
}
