package spanattr

import (
	"net"
	"net/netip"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// SchemaURL is the semantic-conventions schema these attributes follow, for
// trace.WithInstrumentationAttributes / trace.WithSchemaURL on the tracer.
const SchemaURL = semconv.SchemaURL

// ClientConn returns the attributes of an accepted client connection, seen
// from the proxy: network.transport=tcp, network.type, network.peer.address
// and .port and client.address and .port (the client: the proxy has no
// intermediary in front of it), network.local.address and .port (the
// proxy's side of the connection).
func ClientConn(peer, local net.Addr) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, semconv.NetworkTransportTCP)
	switch ap, s := describe(peer); {
	case ap.IsValid():
		attrs = append(attrs,
			networkType(ap.Addr()),
			semconv.NetworkPeerAddress(ap.Addr().String()),
			semconv.NetworkPeerPort(int(ap.Port())),
			semconv.ClientAddress(ap.Addr().String()),
			semconv.ClientPort(int(ap.Port())),
		)
	case s != "":
		attrs = append(attrs, semconv.NetworkPeerAddress(s), semconv.ClientAddress(s))
	}
	return append(attrs, Local(local)...)
}

// UpstreamDial returns the attributes of a dial to target ("host:port", as
// given to net.Dial): network.transport=tcp, server.address and
// server.port, and when the host is an IP literal also network.type and
// network.peer.address and .port. A target that does not split into host
// and port is recorded whole as server.address.
func UpstreamDial(target string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.NetworkTransportTCP)
	host, portStr, err := net.SplitHostPort(target)
	port, perr := strconv.ParseUint(portStr, 10, 16)
	if err != nil || perr != nil || host == "" {
		return append(attrs, semconv.ServerAddress(target))
	}
	attrs = append(attrs, semconv.ServerAddress(host), semconv.ServerPort(int(port)))
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		attrs = append(attrs,
			networkType(ip),
			semconv.NetworkPeerAddress(ip.String()),
			semconv.NetworkPeerPort(int(port)),
		)
	}
	return attrs
}

// Peer returns network.peer.address and .port for the remote end of a
// connection, e.g. the address an upstream dial actually reached.
func Peer(a net.Addr) []attribute.KeyValue {
	switch ap, s := describe(a); {
	case ap.IsValid():
		return []attribute.KeyValue{
			semconv.NetworkPeerAddress(ap.Addr().String()),
			semconv.NetworkPeerPort(int(ap.Port())),
		}
	case s != "":
		return []attribute.KeyValue{semconv.NetworkPeerAddress(s)}
	}
	return nil
}

// Local returns network.local.address and .port for the local end of a
// connection.
func Local(a net.Addr) []attribute.KeyValue {
	switch ap, s := describe(a); {
	case ap.IsValid():
		return []attribute.KeyValue{
			semconv.NetworkLocalAddress(ap.Addr().String()),
			semconv.NetworkLocalPort(int(ap.Port())),
		}
	case s != "":
		return []attribute.KeyValue{semconv.NetworkLocalAddress(s)}
	}
	return nil
}

// describe returns a's IP and port when it has them (IPv4-mapped IPv6
// unmapped), else its string; both are empty for a nil address. TCP and UDP
// addresses are read without formatting and parsing them.
func describe(a net.Addr) (netip.AddrPort, string) {
	var ap netip.AddrPort
	switch t := a.(type) {
	case nil:
		return ap, ""
	case *net.TCPAddr:
		if t == nil {
			return ap, ""
		}
		ap = t.AddrPort()
	case *net.UDPAddr:
		if t == nil {
			return ap, ""
		}
		ap = t.AddrPort()
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	if !ap.Addr().IsValid() {
		return netip.AddrPort{}, a.String()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ""
}

func networkType(ip netip.Addr) attribute.KeyValue {
	if ip.Is4() {
		return semconv.NetworkTypeIPv4
	}
	return semconv.NetworkTypeIPv6
}
