package doctor

import (
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// scriptedNonce runs the RPC handshake (proxy/middle's) against a peer that reads our
// RPC_NONCE and answers with the one edit makes of it.
func scriptedNonce(t *testing.T, edit func(*rpc.Nonce)) error {
	t.Helper()
	secret, err := rpc.ParseProxySecret(proxySecretBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := net.Pipe()
	defer ours.Close()
	defer theirs.Close()
	deadline := time.Now().Add(2 * time.Second)
	_ = ours.SetDeadline(deadline)
	_ = theirs.SetDeadline(deadline)
	go func() {
		payload, err := rpc.NewFrameReader(theirs).ReadFrame()
		if err != nil {
			return
		}
		n, err := rpc.ParseNonce(payload)
		if err != nil {
			return
		}
		n.Nonce[0] ^= 0xff // the middle proxy's own nonce
		edit(&n)
		if rpc.NewFrameWriter(theirs).WriteFrame(rpc.AppendNonce(nil, n)) != nil {
			return
		}
		// Like a middle proxy that cannot decrypt what follows: read it,
		// hang up.
		_, _ = io.ReadAtLeast(theirs, make([]byte, 64), 16)
		theirs.Close()
	}()
	_, _, _, err = middle.Handshake(ours, ours, middle.HandshakeParams{
		Secret: secret,
		Server: netip.MustParseAddrPort("127.0.0.1:8888"),
		Public: netip.MustParseAddrPort("127.0.0.1:40000"),
		Now:    time.Now(), PID: 1234, Started: time.Now(), Rand: rand.Reader,
	})
	return err
}

// outcome is a failed probe of a middle proxy that connected.
func failed(err error) dcprobe.Outcome { return dcprobe.Outcome{Result: dc.Failed, Err: err} }

func TestRPCHandshakeClockSkew(t *testing.T) {
	err := scriptedNonce(t, func(n *rpc.Nonce) { n.Time += 45 })
	var he *middle.HandshakeError
	if !errors.As(err, &he) || he.Result != middle.HandshakeClockSkew {
		t.Fatalf("err %v, want a clock skew", err)
	}
	if h := hint(failed(err), netip.Addr{}); !strings.Contains(h, "fix this host's clock") {
		t.Errorf("hint %q", h)
	}
}

func TestRPCHandshakeOtherSecret(t *testing.T) {
	err := scriptedNonce(t, func(n *rpc.Nonce) { n.KeySelector ^= 0xff })
	var he *middle.HandshakeError
	if !errors.As(err, &he) || he.Result != middle.HandshakeBadNonce || !errors.Is(err, rpc.ErrKeySelector) {
		t.Fatalf("err %v, want another key selector", err)
	}
	if h := hint(failed(err), netip.Addr{}); !strings.Contains(h, "download getProxySecret again") {
		t.Errorf("hint %q", h)
	}
}

// Our key mixes in the public address; a peer that derives its keys with
// another one cannot read our RPC_HANDSHAKE, and we cannot read its
// answer: the keys disagree.
func TestRPCHandshakeKeysDisagree(t *testing.T) {
	err := scriptedNonce(t, func(*rpc.Nonce) {})
	var he *middle.HandshakeError
	if !errors.As(err, &he) || !he.Result.KeyMismatch() {
		t.Fatalf("err %v, want the keys to disagree", err)
	}
	if h := hint(failed(err), netip.MustParseAddr("203.0.113.7")); !strings.Contains(h, "sees us at another address than 203.0.113.7") {
		t.Errorf("hint %q", h)
	}
}
