package stubs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"github.com/mtproxy/mtproxy/testkit/socks5"
)

// ErrTag means the middle proxy's expected ad tag is not 32 hex digits.
var ErrTag = errors.New("stubs: the tag must be 32 hex digits")

// DC runs a fake DC in mode on listen (host:port; port 0 picks one) and
// prints DC_ADDR=<host:port>. Closed connections are forgotten, so a long
// run does not grow its memory.
func DC(ctx context.Context, out io.Writer, mode fakedc.Mode, listen string) error {
	d, err := fakedc.New(fakedc.Options{Mode: mode, ListenAddr: listen, ForgetClosed: true})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := fmt.Fprintf(out, "DC_ADDR=%s\n", d.Addr()); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// Socks5 runs a SOCKS5 server sending every CONNECT to target and prints
// SOCKS5_ADDR=<host:port>.
func Socks5(ctx context.Context, out io.Writer, target string) error {
	s, err := socks5.New(target)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := fmt.Fprintf(out, "SOCKS5_ADDR=%s\n", s.Addr()); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// Middle runs a fake middle proxy for DCs 1..5 and their media DCs, and a
// fake core.telegram.org serving a fresh proxy secret and a config listing
// it, and prints MIDDLE_ADDR, PROXY_SECRET_URL and PROXY_CONFIG_URL. With a
// tag (32 hex) every request must carry it; without, none may. With a
// directory, it also writes the two files there (proxy-secret and
// proxy-multi.conf, as the official mtproto-proxy takes them: --aes-pwd
// and its config argument) and prints PROXY_SECRET_FILE and
// PROXY_CONFIG_FILE.
func Middle(ctx context.Context, out io.Writer, tag, dir string) error {
	// A benchmark's fake runs for hours of echoed packets: it keeps none.
	opts := fakemiddle.Options{RecordLimit: -1}
	if tag != "" {
		var t [16]byte
		if len(tag) != 32 {
			return ErrTag
		}
		if _, err := hex.Decode(t[:], []byte(tag)); err != nil {
			return ErrTag
		}
		opts.ExpectTag = &t
	}
	var err error
	if opts.Secret, err = newProxySecret(); err != nil {
		return err
	}
	m, err := fakemiddle.New(opts)
	if err != nil {
		return err
	}
	defer m.Close()
	config := ProxyConfig(m.Addr().String())
	core := fakecore.New(opts.Secret, config, nil)
	defer core.Close()
	if _, err := fmt.Fprintf(out, "MIDDLE_ADDR=%s\nPROXY_SECRET_URL=%s\nPROXY_CONFIG_URL=%s\n",
		m.Addr(), core.SecretURL(), core.ConfigURL()); err != nil {
		return err
	}
	if dir != "" {
		secretFile, configFile := filepath.Join(dir, "proxy-secret"), filepath.Join(dir, "proxy-multi.conf")
		if err := os.WriteFile(secretFile, opts.Secret, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(configFile, config, 0o600); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "PROXY_SECRET_FILE=%s\nPROXY_CONFIG_FILE=%s\n", secretFile, configFile); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

// ProxyConfig is a getProxyConfig file sending DCs 1..5 and -1..-5 to addr,
// default DC 2.
func ProxyConfig(addr string) []byte {
	var b strings.Builder
	b.WriteString("# mtbench: every DC is one fake middle proxy\ndefault 2;\n")
	for _, dc := range []int{1, 2, 3, 4, 5, -1, -2, -3, -4, -5} {
		fmt.Fprintf(&b, "proxy_for %d %s;\n", dc, addr)
	}
	return []byte(b.String())
}

// newProxySecret draws a getProxySecret file the proxy accepts (a non-zero
// key selector, not printable).
func newProxySecret() ([]byte, error) {
	b := make([]byte, 128)
	for range 16 {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if _, err := rpc.ParseProxySecret(b); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("stubs: could not draw a valid proxy secret")
}
