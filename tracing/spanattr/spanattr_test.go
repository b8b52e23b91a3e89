package spanattr

import (
	"go/parser"
	"go/token"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// asMap turns attributes into key -> value (strings or int64), failing on
// duplicate keys.
func asMap(t *testing.T, attrs []attribute.KeyValue) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, kv := range attrs {
		if _, dup := m[string(kv.Key)]; dup {
			t.Fatalf("duplicate attribute %s in %v", kv.Key, attrs)
		}
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func equal(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %v (%T), want %v (%T)\nall: %v", k, got[k], got[k], v, v, got)
		}
	}
}

type unixLike string

func (u unixLike) Network() string { return "unix" }
func (u unixLike) String() string  { return string(u) }

func TestClientConn(t *testing.T) {
	var nilTCP *net.TCPAddr
	tests := []struct {
		name        string
		peer, local net.Addr
		want        map[string]any
	}{
		{"ipv4", &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 51234}, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 443},
			map[string]any{"network.transport": "tcp", "network.type": "ipv4",
				"network.peer.address": "203.0.113.7", "network.peer.port": int64(51234),
				"client.address": "203.0.113.7", "client.port": int64(51234),
				"network.local.address": "10.0.0.2", "network.local.port": int64(443)}},
		{"ipv4-mapped ipv6 is unmapped", &net.TCPAddr{IP: net.ParseIP("::ffff:198.51.100.1"), Port: 1}, nil,
			map[string]any{"network.transport": "tcp", "network.type": "ipv4",
				"network.peer.address": "198.51.100.1", "network.peer.port": int64(1),
				"client.address": "198.51.100.1", "client.port": int64(1)}},
		{"ipv6", &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 65535}, &net.TCPAddr{IP: net.ParseIP("2001:db8::2"), Port: 8443},
			map[string]any{"network.transport": "tcp", "network.type": "ipv6",
				"network.peer.address": "2001:db8::1", "network.peer.port": int64(65535),
				"client.address": "2001:db8::1", "client.port": int64(65535),
				"network.local.address": "2001:db8::2", "network.local.port": int64(8443)}},
		{"other address types go through String", unixLike("203.0.113.9:80"), unixLike("/run/mtproxy.sock"),
			map[string]any{"network.transport": "tcp", "network.type": "ipv4",
				"network.peer.address": "203.0.113.9", "network.peer.port": int64(80),
				"client.address": "203.0.113.9", "client.port": int64(80),
				"network.local.address": "/run/mtproxy.sock"}},
		{"nil and typed nil", nil, nilTCP, map[string]any{"network.transport": "tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equal(t, asMap(t, ClientConn(tt.peer, tt.local)), tt.want)
		})
	}
}

// TestClientConnRealSocket uses the addresses of a real loopback connection.
func TestClientConnRealSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()

	got := asMap(t, ClientConn(server.RemoteAddr(), server.LocalAddr()))
	clientPort := client.LocalAddr().(*net.TCPAddr).Port
	listenPort := ln.Addr().(*net.TCPAddr).Port
	equal(t, got, map[string]any{"network.transport": "tcp", "network.type": "ipv4",
		"network.peer.address": "127.0.0.1", "network.peer.port": int64(clientPort),
		"client.address": "127.0.0.1", "client.port": int64(clientPort),
		"network.local.address": "127.0.0.1", "network.local.port": int64(listenPort)})

	equal(t, asMap(t, Peer(client.RemoteAddr())), map[string]any{
		"network.peer.address": "127.0.0.1", "network.peer.port": int64(listenPort)})
}

func TestUpstreamDial(t *testing.T) {
	tests := []struct {
		target string
		want   map[string]any
	}{
		{"149.154.175.50:443", map[string]any{"network.transport": "tcp", "network.type": "ipv4",
			"server.address": "149.154.175.50", "server.port": int64(443),
			"network.peer.address": "149.154.175.50", "network.peer.port": int64(443)}},
		{"[2001:b28:f23d:f001::a]:443", map[string]any{"network.transport": "tcp", "network.type": "ipv6",
			"server.address": "2001:b28:f23d:f001::a", "server.port": int64(443),
			"network.peer.address": "2001:b28:f23d:f001::a", "network.peer.port": int64(443)}},
		{"[::ffff:149.154.167.51]:8888", map[string]any{"network.transport": "tcp", "network.type": "ipv4",
			"server.address": "::ffff:149.154.167.51", "server.port": int64(8888),
			"network.peer.address": "149.154.167.51", "network.peer.port": int64(8888)}},
		{"core.telegram.org:443", map[string]any{"network.transport": "tcp",
			"server.address": "core.telegram.org", "server.port": int64(443)}},
		{"no-port", map[string]any{"network.transport": "tcp", "server.address": "no-port"}},
		{"host:99999", map[string]any{"network.transport": "tcp", "server.address": "host:99999"}},
		{"host:http", map[string]any{"network.transport": "tcp", "server.address": "host:http"}},
		{":443", map[string]any{"network.transport": "tcp", "server.address": ":443"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			equal(t, asMap(t, UpstreamDial(tt.target)), tt.want)
		})
	}
}

func TestPeerLocalNil(t *testing.T) {
	if Peer(nil) != nil || Local(nil) != nil {
		t.Fatal("nil address produced attributes")
	}
	equal(t, asMap(t, Peer(unixLike("@abstract"))), map[string]any{"network.peer.address": "@abstract"})
}

// TestImportsStaySDKFree guards the reason this package exists: the engine
// imports it, and the engine must not depend on the OpenTelemetry SDK.
func TestImportsStaySDKFree(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"net": true, "net/netip": true, "strconv": true,
		"go.opentelemetry.io/otel/attribute": true}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] && !strings.HasPrefix(path, "go.opentelemetry.io/otel/semconv/") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
