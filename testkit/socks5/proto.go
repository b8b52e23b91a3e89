package socks5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// Protocol constants (RFC 1928).
const (
	version5 = 0x05

	methodNoAuth       = 0x00
	methodNoAcceptable = 0xff

	CmdConnect      = 0x01
	CmdBind         = 0x02
	CmdUDPAssociate = 0x03

	AddrIPv4   = 0x01
	AddrDomain = 0x03
	AddrIPv6   = 0x04

	ReplySucceeded          = 0x00
	ReplyGeneralFailure     = 0x01
	ReplyConnectionRefused  = 0x05
	ReplyCommandUnsupported = 0x07
	ReplyAddressUnsupported = 0x08
)

// Errors of the protocol parsers; test them with errors.Is.
var (
	// ErrVersion means a message did not start with version 5.
	ErrVersion = errors.New("socks5: not SOCKS version 5")
	// ErrNoMethod means the client offered no method this server supports.
	ErrNoMethod = errors.New("socks5: no acceptable authentication method")
	// ErrCommand means a command other than CONNECT.
	ErrCommand = errors.New("socks5: unsupported command")
	// ErrAddressType means an unknown address type.
	ErrAddressType = errors.New("socks5: unsupported address type")
	// ErrMalformed means a malformed field (reserved byte, empty method
	// list or domain name).
	ErrMalformed = errors.New("socks5: malformed message")
)

// Request is a client's request as sent.
type Request struct {
	Cmd      byte
	AddrType byte
	Host     string // an IP literal or a domain name
	Port     uint16
}

// Addr returns host:port as asked for.
func (r Request) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(int(r.Port))) }

// readGreeting reads the method negotiation and reports whether "no
// authentication" was offered.
func readGreeting(r io.Reader) (noAuth bool, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return false, err
	}
	if h[0] != version5 {
		return false, fmt.Errorf("%w: %#02x", ErrVersion, h[0])
	}
	if h[1] == 0 {
		return false, fmt.Errorf("%w: no methods", ErrMalformed)
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return false, noEOF(err)
	}
	for _, m := range methods {
		if m == methodNoAuth {
			return true, nil
		}
	}
	return false, nil
}

// readRequest reads a request. With ErrCommand or ErrAddressType the
// fields read so far are returned, so the server can reply and record.
func readRequest(r io.Reader) (Request, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Request{}, err
	}
	if h[0] != version5 {
		return Request{}, fmt.Errorf("%w: %#02x", ErrVersion, h[0])
	}
	if h[2] != 0 {
		return Request{}, fmt.Errorf("%w: reserved byte %#02x", ErrMalformed, h[2])
	}
	req := Request{Cmd: h[1], AddrType: h[3]}
	var err error
	switch req.AddrType {
	case AddrIPv4:
		req.Host, err = readIP(r, 4)
	case AddrIPv6:
		req.Host, err = readIP(r, 16)
	case AddrDomain:
		req.Host, err = readDomain(r)
	default:
		return req, fmt.Errorf("%w: %#02x", ErrAddressType, req.AddrType)
	}
	if err != nil {
		return req, err
	}
	var port [2]byte
	if _, err := io.ReadFull(r, port[:]); err != nil {
		return req, noEOF(err)
	}
	req.Port = binary.BigEndian.Uint16(port[:])
	if req.Cmd != CmdConnect {
		return req, fmt.Errorf("%w: %#02x", ErrCommand, req.Cmd)
	}
	return req, nil
}

func readIP(r io.Reader, n int) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:n]); err != nil {
		return "", noEOF(err)
	}
	if n == 4 {
		return netip.AddrFrom4([4]byte(b[:4])).String(), nil
	}
	return netip.AddrFrom16(b).String(), nil
}

func readDomain(r io.Reader) (string, error) {
	var n [1]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return "", noEOF(err)
	}
	if n[0] == 0 {
		return "", fmt.Errorf("%w: empty domain name", ErrMalformed)
	}
	name := make([]byte, n[0])
	if _, err := io.ReadFull(r, name); err != nil {
		return "", noEOF(err)
	}
	return string(name), nil
}

// appendReply appends a reply with code rep and the bound address bnd
// (zero IPv4 address when nil or not an IP).
func appendReply(dst []byte, rep byte, bnd net.Addr) []byte {
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if ta, ok := bnd.(*net.TCPAddr); ok {
		ap = ta.AddrPort()
	}
	ip := ap.Addr().Unmap()
	dst = append(dst, version5, rep, 0)
	if ip.Is4() {
		dst = append(dst, AddrIPv4)
	} else {
		dst = append(dst, AddrIPv6)
	}
	dst = append(dst, ip.AsSlice()...)
	return binary.BigEndian.AppendUint16(dst, ap.Port())
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
