package tgconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// MaxSize bounds the input Parse accepts. The published file is about 1 KB;
// the official parser allows 16 MiB. A fetcher may use it to limit reads.
const MaxSize = 1 << 20

// Ranges of the official parser (parse_config, cfg_parse_server_port).
const (
	minDC, maxDC       = -0x8000, 0x7fff
	minTimeoutMS       = 10
	maxTimeoutMS       = 30000
	minConns, maxConns = 1, 1000
)

// Parse parses a getProxyConfig file. Errors in the text are *SyntaxError
// values locating the problem; see the package documentation for the
// grammar.
func Parse(b []byte) (*Config, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, len(b), MaxSize)
	}
	p := parser{s: scanner{src: b, line: 1}}
	return p.parse()
}

type parser struct {
	s              scanner
	cfg            Config
	lastDC         int
	minTok, maxTok token // where min/max_connections were last set
}

func (p *parser) errAt(t token, err error, format string, args ...any) *SyntaxError {
	return p.s.errorf(t.line, t.col, err, format, args...)
}

func (p *parser) next() (token, error) { return p.s.next() }

func (p *parser) parse() (*Config, error) {
	p.cfg.Targets = map[int][]netip.AddrPort{}
	for {
		kw, err := p.next()
		if err != nil {
			return nil, err
		}
		if kw.kind == tEOF {
			break
		}
		if kw.kind != tWord {
			return nil, p.errAt(kw, ErrSyntax, "statement expected, got %v", kw)
		}
		if err := p.statement(kw); err != nil {
			return nil, err
		}
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tSemi {
			return nil, p.errAt(t, ErrSyntax, `";" expected after %s, got %v`, kw.text, t)
		}
	}
	c := &p.cfg
	if c.MinConnections != 0 && c.MaxConnections != 0 && c.MinConnections > c.MaxConnections {
		t := p.maxTok
		if p.minTok.line > t.line || p.minTok.line == t.line && p.minTok.col > t.col {
			t = p.minTok
		}
		return nil, p.errAt(t, ErrOutOfRange, "min_connections %d above max_connections %d", c.MinConnections, c.MaxConnections)
	}
	return c, nil
}

func (p *parser) statement(kw token) error {
	var err error
	switch kw.text {
	case "proxy_for", "proxy":
		dc, dcTok := 0, kw
		if kw.text == "proxy_for" {
			if dc, dcTok, err = p.integer("DC id", minDC, maxDC); err != nil {
				return err
			}
		}
		addr, err := p.hostPort()
		if err != nil {
			return err
		}
		return p.add(dc, dcTok, addr)
	case "default":
		p.cfg.Default, _, err = p.integer("DC id", minDC, maxDC)
	case "timeout":
		var ms int
		ms, _, err = p.integer("timeout in ms", minTimeoutMS, maxTimeoutMS)
		p.cfg.Timeout = time.Duration(ms) * time.Millisecond
	case "min_connections":
		p.cfg.MinConnections, p.minTok, err = p.integer("connection count", minConns, maxConns)
	case "max_connections":
		p.cfg.MaxConnections, p.maxTok, err = p.integer("connection count", minConns, maxConns)
	default:
		return p.errAt(kw, ErrUnknownStatement, "unknown statement %v", kw)
	}
	return err
}

// add appends addr to dc, which must not have been left for another DC.
func (p *parser) add(dc int, at token, addr netip.AddrPort) error {
	list, seen := p.cfg.Targets[dc]
	if seen && dc != p.lastDC {
		return p.errAt(at, ErrIntermixed, "addresses of DC %d resume after DC %d", dc, p.lastDC)
	}
	p.cfg.Targets[dc] = append(list, addr)
	p.lastDC = dc
	return nil
}

// integer reads a decimal integer (optionally negative) within [lo, hi].
func (p *parser) integer(what string, lo, hi int) (int, token, error) {
	t, err := p.next()
	if err != nil {
		return 0, t, err
	}
	digits := strings.TrimPrefix(t.text, "-")
	if t.kind != tWord || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, t, p.errAt(t, ErrSyntax, "%s expected, got %v", what, t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < lo || n > hi {
		return 0, t, p.errAt(t, ErrOutOfRange, "%s %v out of range %d..%d", what, t, lo, hi)
	}
	return n, t, nil
}

// hostPort reads "a.b.c.d:port" or "[v6]:port".
func (p *parser) hostPort() (netip.AddrPort, error) {
	t, err := p.next()
	if err != nil {
		return netip.AddrPort{}, err
	}
	var addr netip.Addr
	switch t.kind {
	case tBracket:
		addr, err = netip.ParseAddr(t.text[1 : len(t.text)-1])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return netip.AddrPort{}, p.errAt(t, ErrSyntax, "bad IPv6 address %v", t)
		}
	case tWord:
		addr, err = netip.ParseAddr(t.text)
		if err != nil {
			if strings.ContainsAny(t.text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				return netip.AddrPort{}, p.errAt(t, ErrHostname, "host name %v (only IP literals are supported)", t)
			}
			return netip.AddrPort{}, p.errAt(t, ErrSyntax, "bad IPv4 address %v", t)
		}
	default:
		return netip.AddrPort{}, p.errAt(t, ErrSyntax, "address expected, got %v", t)
	}
	c, err := p.next()
	if err != nil {
		return netip.AddrPort{}, err
	}
	if c.kind != tColon {
		return netip.AddrPort{}, p.errAt(c, ErrSyntax, `":" and port expected after the address, got %v`, c)
	}
	port, _, err := p.integer("port", 1, 0xffff)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
