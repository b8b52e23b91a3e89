package doctor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// hsKind classifies a failed RPC handshake by what it says about the
// setup.
type hsKind int

const (
	hsLocal        hsKind = iota // our side failed (randomness, keys)
	hsTimeout                    // no answer in time
	hsClosedEarly                // closed before its RPC_NONCE: our secret or clock was refused
	hsBadNonce                   // its RPC_NONCE is malformed or names another secret
	hsClockSkew                  // its clock and ours are more than 30 s apart
	hsKeysDisagree               // closed or garbled after the keys were in use
	hsRefused                    // RPC_HANDSHAKE_ERROR
	hsProtocol                   // anything else malformed
)

// hsError is a failed handshake.
type hsError struct {
	kind hsKind
	err  error
}

func (e *hsError) Error() string { return e.err.Error() }
func (e *hsError) Unwrap() error { return e.err }

// rpcParams are the inputs of one handshake.
type rpcParams struct {
	secret *rpc.ProxySecret
	server netip.AddrPort // the middle proxy we connected to
	public netip.AddrPort // our address as we believe it sees us
	now    time.Time
	pid    int
	rand   io.Reader
}

// rpcHandshake runs the proxy's side of the middle-proxy handshake on nc
// (a deadline must be set) and closes nothing:
//
//	RPC_NONCE ─►, ◄─ RPC_NONCE, keys, RPC_HANDSHAKE ─► (encrypted), ◄─ RPC_HANDSHAKE
//
// The keys mix in p.public; the middle proxy mixes in the address it
// sees. If they differ it cannot decrypt our handshake and drops the
// connection, which is the NAT mistake that leaves clients "updating".
func rpcHandshake(nc net.Conn, p rpcParams) (rpc.Checksum, error) {
	fr, fw := rpc.NewFrameReader(nc), rpc.NewFrameWriter(nc)
	ours := rpc.Nonce{KeySelector: p.secret.KeySelector(), Schema: rpc.CryptoSchemaAES, Time: uint32(p.now.Unix())}
	if _, err := io.ReadFull(p.rand, ours.Nonce[:]); err != nil {
		return 0, &hsError{hsLocal, fmt.Errorf("nonce: %w", err)}
	}
	if err := fw.WriteFrame(rpc.AppendNonce(nil, ours)); err != nil {
		return 0, ioFailure(err, hsClosedEarly, "sending RPC_NONCE")
	}
	payload, err := fr.ReadFrame()
	if err != nil {
		return 0, ioFailure(err, hsClosedEarly, "reading RPC_NONCE")
	}
	theirs, err := rpc.ParseNonce(payload)
	if err != nil {
		return 0, &hsError{hsBadNonce, err}
	}
	if err := rpc.VerifyServerNonce(theirs, ours.KeySelector, ours.Time); err != nil {
		if errors.Is(err, rpc.ErrClockSkew) {
			return 0, &hsError{hsClockSkew, err}
		}
		return 0, &hsError{hsBadNonce, err}
	}
	keys, err := rpc.DeriveClientKeys(rpc.KeyParams{
		ServerNonce: theirs.Nonce, ClientNonce: ours.Nonce, ClientTime: ours.Time,
		ClientAddr: p.public, ServerAddr: p.server, Secret: p.secret,
	})
	if err != nil {
		return 0, &hsError{hsLocal, err}
	}
	if err := fw.EnableEncryption(keys.WriteKey[:], keys.WriteIV[:]); err != nil {
		return 0, &hsError{hsLocal, err}
	}
	if err := fr.EnableDecryption(keys.ReadKey[:], keys.ReadIV[:]); err != nil {
		return 0, &hsError{hsLocal, err}
	}
	sent := rpc.Handshake{
		Flags:  rpc.HandshakeFlagCRC32C,
		Sender: rpc.NewProcessID(p.public, p.pid, p.now),
		Peer:   rpc.NewProcessID(p.server, 0, time.Time{}),
	}
	if err := fw.WriteFrame(rpc.AppendHandshake(nil, sent)); err != nil {
		return 0, ioFailure(err, hsKeysDisagree, "sending RPC_HANDSHAKE")
	}
	if payload, err = fr.ReadFrame(); err != nil {
		return 0, ioFailure(err, hsKeysDisagree, "reading RPC_HANDSHAKE")
	}
	got, err := rpc.ParseHandshake(payload)
	if err != nil {
		var refused *rpc.HandshakeError
		if errors.As(err, &refused) {
			return 0, &hsError{hsRefused, err}
		}
		return 0, &hsError{hsProtocol, err}
	}
	sum, err := rpc.VerifyServerHandshake(got, sent)
	if err != nil {
		return 0, &hsError{hsProtocol, err}
	}
	return sum, nil
}

// ioFailure classifies a read or write error. closed is the kind of a
// peer hanging up (or sending a frame that does not decode) at this step.
func ioFailure(err error, closed hsKind, what string) *hsError {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return &hsError{hsTimeout, fmt.Errorf("%s: no answer in time", what)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return &hsError{closed, fmt.Errorf("%s: the middle proxy closed the connection", what)}
	case errors.Is(err, rpc.ErrChecksum), errors.Is(err, rpc.ErrFrameLength),
		errors.Is(err, rpc.ErrFrameTooLarge), errors.Is(err, rpc.ErrSeqMismatch):
		if closed == hsKeysDisagree {
			return &hsError{hsKeysDisagree, fmt.Errorf("%s: %w", what, err)}
		}
		return &hsError{hsProtocol, fmt.Errorf("%s: %w", what, err)}
	}
	return &hsError{closed, fmt.Errorf("%s: %w", what, err)}
}

// hint explains a failed handshake to the operator.
func hint(err error, public netip.Addr) string {
	var he *hsError
	if !errors.As(err, &he) {
		return oneLine(err)
	}
	switch he.kind {
	case hsClosedEarly:
		return he.err.Error() + " at once: it refused our RPC_NONCE: an outdated proxy secret (PROXY_SECRET_FILE), or this host's clock over 30 s off"
	case hsBadNonce:
		if errors.Is(he.err, rpc.ErrKeySelector) {
			return "it uses another proxy secret: download getProxySecret again"
		}
	case hsClockSkew:
		return he.err.Error() + ": fix this host's clock"
	case hsProtocol:
		return he.err.Error() + ": the answer is not the middle-proxy protocol"
	case hsKeysDisagree:
		return fmt.Sprintf("%s: the keys disagree, so it sees us at another address than %s; behind NAT set IP (or NAT_INFO) to the public address", he.err, public)
	}
	return he.err.Error()
}
