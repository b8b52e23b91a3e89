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
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// handshakeError is a failed attempt's result and cause.
type handshakeError struct {
	result HandshakeResult
	err    error
}

func (e *handshakeError) Error() string { return e.result.String() + ": " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

func hsErr(r HandshakeResult, format string, args ...any) *handshakeError {
	return &handshakeError{result: r, err: fmt.Errorf(format, args...)}
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

// rpcHandshake runs the client side of the RPC handshake on nc, connected
// to server, within the deadline already set on nc:
//
//	RPC_NONCE ─►, ◄─ RPC_NONCE, keys, RPC_HANDSHAKE ─► (encrypted), ◄─ RPC_HANDSHAKE
//
// Errors are *handshakeError values classifying how it failed.
func (m *Middle) rpcHandshake(nc net.Conn, server netip.AddrPort) (*established, *handshakeError) {
	secret := m.files.secret.Load()
	if secret == nil {
		return nil, hsErr(HandshakeLocalError, "no proxy secret loaded")
	}
	local := netx.AddrPort(nc.LocalAddr())
	public := m.nat.publicAddrPort(local)
	fr := rpc.NewFrameReader(meteredReader{nc, &m.cnt.bytesRecv})
	fw := rpc.NewFrameWriter(meteredWriter{nc, &m.cnt.bytesSent})

	var nonce [16]byte
	if _, err := io.ReadFull(m.rand, nonce[:]); err != nil {
		return nil, hsErr(HandshakeLocalError, "nonce: %w", err)
	}
	ours := rpc.Nonce{KeySelector: secret.KeySelector(), Schema: rpc.CryptoSchemaAES,
		Time: uint32(m.o.Now().Unix()), Nonce: nonce}
	if err := fw.WriteFrame(rpc.AppendNonce(fw.Payload(rpc.NonceSize), ours)); err != nil {
		return nil, ioFailure(err, false, "sending RPC_NONCE")
	}
	p, err := fr.ReadFrame()
	if err != nil {
		return nil, ioFailure(err, false, "reading RPC_NONCE")
	}
	theirs, err := rpc.ParseNonce(p)
	if err != nil {
		return nil, hsErr(HandshakeBadNonce, "%w", err)
	}
	if err := rpc.VerifyServerNonce(theirs, ours.KeySelector, ours.Time); err != nil {
		if errors.Is(err, rpc.ErrClockSkew) {
			return nil, hsErr(HandshakeClockSkew, "%w", err)
		}
		return nil, hsErr(HandshakeBadNonce, "%w", err)
	}
	keys, err := rpc.DeriveClientKeys(rpc.KeyParams{
		ServerNonce: theirs.Nonce, ClientNonce: nonce, ClientTime: ours.Time,
		ClientAddr: public, ServerAddr: server, Secret: secret,
	})
	if err != nil {
		return nil, hsErr(HandshakeLocalError, "key derivation with %s -> %s: %w", public, server, err)
	}
	if err := fw.EnableEncryption(keys.WriteKey[:], keys.WriteIV[:]); err != nil {
		return nil, hsErr(HandshakeLocalError, "%w", err)
	}
	if err := fr.EnableDecryption(keys.ReadKey[:], keys.ReadIV[:]); err != nil {
		return nil, hsErr(HandshakeLocalError, "%w", err)
	}
	clear(keys.WriteKey[:])
	clear(keys.ReadKey[:])

	sent := rpc.Handshake{
		Flags:  rpc.HandshakeFlagCRC32C,
		Sender: rpc.NewProcessID(public, m.o.PID, m.startedAt),
		Peer:   rpc.NewProcessID(server, 0, time.Time{}),
	}
	if err := fw.WriteFrame(rpc.AppendHandshake(fw.Payload(rpc.HandshakeSize), sent)); err != nil {
		return nil, ioFailure(err, true, "sending RPC_HANDSHAKE")
	}
	if p, err = fr.ReadFrame(); err != nil {
		return nil, ioFailure(err, true, "reading RPC_HANDSHAKE")
	}
	got, err := rpc.ParseHandshake(p)
	if err != nil {
		var refused *rpc.HandshakeError
		if errors.As(err, &refused) {
			return nil, hsErr(HandshakeRefused, "%w", err)
		}
		return nil, hsErr(HandshakeProtocolError, "%w", err)
	}
	sum, err := rpc.VerifyServerHandshake(got, sent)
	if err != nil {
		return nil, hsErr(HandshakeProtocolError, "%w", err)
	}
	fr.SetChecksum(sum)
	fw.SetChecksum(sum)
	return &established{nc: nc, fr: fr, fw: fw, checksum: sum, public: public}, nil
}

// ioFailure classifies an I/O or frame error during the handshake.
// afterNonce tells whether the keys were already in use: a frame that
// fails its CRC or length check then means the two sides derived
// different keys.
func ioFailure(err error, afterNonce bool, what string) *handshakeError {
	var ne net.Error
	closed := HandshakeClosedBeforeNonce
	if afterNonce {
		closed = HandshakeClosedAfterNonce
	}
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return &handshakeError{HandshakeTimeout, fmt.Errorf("%s: %w", what, err)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return &handshakeError{closed, fmt.Errorf("%s: the middle proxy closed the connection: %w", what, err)}
	case errors.Is(err, rpc.ErrChecksum), errors.Is(err, rpc.ErrFrameLength),
		errors.Is(err, rpc.ErrFrameTooLarge), errors.Is(err, rpc.ErrSeqMismatch):
		if afterNonce {
			return &handshakeError{HandshakeBadCrypto, fmt.Errorf("%s: %w", what, err)}
		}
		return &handshakeError{HandshakeProtocolError, fmt.Errorf("%s: %w", what, err)}
	case errors.Is(err, net.ErrClosed):
		return &handshakeError{HandshakeLocalError, fmt.Errorf("%s: %w", what, err)}
	}
	return &handshakeError{closed, fmt.Errorf("%s: %w", what, err)}
}

// dialTarget dials a middle proxy and runs the handshake within
// HandshakeTimeout. It returns the established connection or an error
// with its classification and the dial result.
func (m *Middle) dialTarget(ctx context.Context, addr netip.AddrPort) (*established, dc.Result, *handshakeError) {
	nc, _, err := m.o.Dialer.Dial(ctx, []netip.AddrPort{addr}, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, dc.Classify(err), hsErr(HandshakeLocalError, "dial %s: %w", addr, ctx.Err())
		}
		return nil, dc.Classify(err), &handshakeError{HandshakeDialFailed, err}
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
