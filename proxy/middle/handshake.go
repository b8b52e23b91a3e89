package middle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/internal/rawio"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// HandshakeError is a failed RPC handshake: how it failed, and why.
type HandshakeError struct {
	Result HandshakeResult
	Err    error
}

func (e *HandshakeError) Error() string { return e.Result.String() + ": " + e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

func hsErr(r HandshakeResult, format string, args ...any) *HandshakeError {
	return &HandshakeError{Result: r, Err: fmt.Errorf(format, args...)}
}

// established is the outcome of a successful handshake: the connection
// with its frame reader and writer in their negotiated state.
type established struct {
	nc       net.Conn
	fr       *rpc.FrameReader
	fw       *rpc.FrameWriter
	checksum rpc.Checksum
	// public is our address as the middle proxy sees it, as used in the
	// key derivation.
	public netip.AddrPort
}

// HandshakeParams are the inputs of one client-side RPC handshake.
type HandshakeParams struct {
	// Secret is the proxy secret (getProxySecret). Required.
	Secret *rpc.ProxySecret
	// Server is the middle proxy's address; Public ours as it sees us.
	// Both go into the key derivation: a Public that is not the address
	// the middle proxy sees makes the keys disagree.
	Server, Public netip.AddrPort
	// Now is the time sent in RPC_NONCE.
	Now time.Time
	// PID and Started make our process id in RPC_HANDSHAKE.
	PID     int
	Started time.Time
	// Rand makes the nonce. Required.
	Rand io.Reader
}

// Handshake runs the client side of the RPC handshake over r and w (a
// connection to p.Server, with a deadline set), and returns the frame
// reader and writer in their negotiated state:
//
//	RPC_NONCE ─►, ◄─ RPC_NONCE, keys, RPC_HANDSHAKE ─► (encrypted), ◄─ RPC_HANDSHAKE
//
// It is the one implementation, used by the connection pool, the health
// probe and the doctor. A failure is a *HandshakeError classifying how it
// failed.
func Handshake(r io.Reader, w io.Writer, p HandshakeParams) (*rpc.FrameReader, *rpc.FrameWriter, rpc.Checksum, error) {
	if p.Secret == nil {
		return nil, nil, 0, hsErr(HandshakeLocalError, "no proxy secret loaded")
	}
	fr := rpc.NewFrameReader(r)
	fw := rpc.NewFrameWriter(w)
	var nonce [16]byte
	if _, err := io.ReadFull(p.Rand, nonce[:]); err != nil {
		return nil, nil, 0, hsErr(HandshakeLocalError, "nonce: %w", err)
	}
	ours := rpc.Nonce{KeySelector: p.Secret.KeySelector(), Schema: rpc.CryptoSchemaAES,
		Time: uint32(p.Now.Unix()), Nonce: nonce}
	if err := fw.WriteFrame(rpc.AppendNonce(fw.Payload(rpc.NonceSize), ours)); err != nil {
		return nil, nil, 0, ioFailure(err, false, "sending RPC_NONCE")
	}
	payload, err := fr.ReadFrame()
	if err != nil {
		return nil, nil, 0, ioFailure(err, false, "reading RPC_NONCE")
	}
	theirs, err := rpc.ParseNonce(payload)
	if err != nil {
		return nil, nil, 0, hsErr(HandshakeBadNonce, "%w", err)
	}
	if theirs.Nonce == nonce {
		return nil, nil, 0, hsErr(HandshakeProtocolError, "the peer sent our own RPC_NONCE back: it echoes, it is not a middle proxy")
	}
	if err := rpc.VerifyServerNonce(theirs, ours.KeySelector, ours.Time); err != nil {
		if errors.Is(err, rpc.ErrClockSkew) {
			return nil, nil, 0, hsErr(HandshakeClockSkew, "%w", err)
		}
		return nil, nil, 0, hsErr(HandshakeBadNonce, "%w", err)
	}
	keys, err := rpc.DeriveClientKeys(rpc.KeyParams{
		ServerNonce: theirs.Nonce, ClientNonce: nonce, ClientTime: ours.Time,
		ClientAddr: p.Public, ServerAddr: p.Server, Secret: p.Secret,
	})
	if err != nil {
		return nil, nil, 0, hsErr(HandshakeLocalError, "key derivation with %s -> %s: %w", p.Public, p.Server, err)
	}
	if err := fw.EnableEncryption(keys.WriteKey[:], keys.WriteIV[:]); err != nil {
		return nil, nil, 0, hsErr(HandshakeLocalError, "%w", err)
	}
	if err := fr.EnableDecryption(keys.ReadKey[:], keys.ReadIV[:]); err != nil {
		return nil, nil, 0, hsErr(HandshakeLocalError, "%w", err)
	}
	clear(keys.WriteKey[:])
	clear(keys.ReadKey[:])

	sent := rpc.Handshake{
		Flags:  rpc.HandshakeFlagCRC32C,
		Sender: rpc.NewProcessID(p.Public, p.PID, p.Started),
		Peer:   rpc.NewProcessID(p.Server, 0, time.Time{}),
	}
	if err := fw.WriteFrame(rpc.AppendHandshake(fw.Payload(rpc.HandshakeSize), sent)); err != nil {
		return nil, nil, 0, ioFailure(err, true, "sending RPC_HANDSHAKE")
	}
	if payload, err = fr.ReadFrame(); err != nil {
		return nil, nil, 0, ioFailure(err, true, "reading RPC_HANDSHAKE")
	}
	got, err := rpc.ParseHandshake(payload)
	if err != nil {
		var refused *rpc.HandshakeError
		if errors.As(err, &refused) {
			return nil, nil, 0, hsErr(HandshakeRefused, "%w", err)
		}
		return nil, nil, 0, hsErr(HandshakeProtocolError, "%w", err)
	}
	sum, err := rpc.VerifyServerHandshake(got, sent)
	if err != nil {
		return nil, nil, 0, hsErr(HandshakeProtocolError, "%w", err)
	}
	fr.SetChecksum(sum)
	fw.SetChecksum(sum)
	return fr, fw, sum, nil
}

// HandshakeParams returns the inputs of a handshake from local to server
// with the proxy secret in use and our public address as the NAT rules
// give it; an error when no proxy secret is loaded.
func (m *Middle) HandshakeParams(server, local netip.AddrPort) (HandshakeParams, error) {
	secret := m.files.secret.Load()
	if secret == nil {
		return HandshakeParams{}, hsErr(HandshakeLocalError, "no proxy secret loaded")
	}
	return HandshakeParams{
		Secret: secret, Server: server, Public: m.nat.publicAddrPort(local),
		Now: m.o.Now(), PID: m.o.PID, Started: m.startedAt, Rand: m.rand,
	}, nil
}

// rpcHandshake runs Handshake on nc, connected to server, within the
// deadline already set on nc, counting the bytes.
func (m *Middle) rpcHandshake(nc net.Conn, server netip.AddrPort) (*established, *HandshakeError) {
	p, err := m.HandshakeParams(server, netx.AddrPort(nc.LocalAddr()))
	if err != nil {
		return nil, asHandshakeError(err)
	}
	// The connection's frames go through raw system calls (see
	// internal/rawio) when it is a socket.
	var rw io.ReadWriter = nc
	if raw, ok := rawio.NewConn(nc); ok {
		rw = raw
	}
	fr, fw, sum, err := Handshake(meteredReader{rw, &m.cnt.bytesRecv}, meteredWriter{rw, &m.cnt.bytesSent}, p)
	if err != nil {
		return nil, asHandshakeError(err)
	}
	return &established{nc: nc, fr: fr, fw: fw, checksum: sum, public: p.Public}, nil
}

// asHandshakeError returns err as a *HandshakeError, a local error when
// it is not one.
func asHandshakeError(err error) *HandshakeError {
	var he *HandshakeError
	if errors.As(err, &he) {
		return he
	}
	return &HandshakeError{Result: HandshakeLocalError, Err: err}
}

// ioFailure classifies an I/O or frame error during the handshake.
// afterNonce tells whether the keys were already in use: a frame that
// fails its CRC or length check then means the two sides derived
// different keys.
func ioFailure(err error, afterNonce bool, what string) *HandshakeError {
	var ne net.Error
	closed := HandshakeClosedBeforeNonce
	if afterNonce {
		closed = HandshakeClosedAfterNonce
	}
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return &HandshakeError{HandshakeTimeout, fmt.Errorf("%s: %w", what, err)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return &HandshakeError{closed, fmt.Errorf("%s: the middle proxy closed the connection: %w", what, err)}
	case errors.Is(err, rpc.ErrChecksum), errors.Is(err, rpc.ErrFrameLength),
		errors.Is(err, rpc.ErrFrameTooLarge), errors.Is(err, rpc.ErrSeqMismatch):
		if afterNonce {
			return &HandshakeError{HandshakeBadCrypto, fmt.Errorf("%s: %w", what, err)}
		}
		return &HandshakeError{HandshakeProtocolError, fmt.Errorf("%s: %w", what, err)}
	case errors.Is(err, net.ErrClosed):
		return &HandshakeError{HandshakeLocalError, fmt.Errorf("%s: %w", what, err)}
	}
	return &HandshakeError{closed, fmt.Errorf("%s: %w", what, err)}
}

// dialTarget dials a middle proxy and runs the handshake within
// HandshakeTimeout. It returns the established connection or an error
// with its classification and the dial result.
func (m *Middle) dialTarget(ctx context.Context, addr netip.AddrPort) (*established, dc.Result, *HandshakeError) {
	nc, _, err := m.o.Dialer.Dial(ctx, []netip.AddrPort{addr}, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, dc.Classify(err), hsErr(HandshakeLocalError, "dial %s: %w", addr, ctx.Err())
		}
		return nil, dc.Classify(err), &HandshakeError{HandshakeDialFailed, err}
	}
	_ = nc.SetDeadline(time.Now().Add(m.o.HandshakeTimeout)) // sockets run on the real clock, not Options.Now
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	est, herr := m.rpcHandshake(nc, addr)
	if !stop() || ctx.Err() != nil {
		_ = nc.Close()
		return nil, dc.OK, hsErr(HandshakeLocalError, "shutting down")
	}
	if herr != nil {
		_ = nc.Close()
		return nil, dc.OK, herr
	}
	_ = nc.SetDeadline(time.Time{})
	return est, dc.OK, nil
}

// meteredReader and meteredWriter count the bytes of an RPC connection.
type meteredReader struct {
	r io.Reader
	n *paddedCounter
}

func (m meteredReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n.Add(uint64(n))
	return n, err
}

type meteredWriter struct {
	w io.Writer
	n *paddedCounter
}

func (m meteredWriter) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	m.n.Add(uint64(n))
	return n, err
}
