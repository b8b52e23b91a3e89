package faketls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	deadline := time.Now().Add(10 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	return client, server
}

func TestConnWriteFraming(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client)
	sizes := []int{1, MaxRecordPayload, MaxRecordPayload + 1, 100_000, maxRecordsPerWrite*MaxRecordPayload + 5}
	go func() {
		for i, n := range sizes {
			if k, err := c.Write(randBytes(byte(i), n)); k != n || err != nil {
				t.Errorf("Write(%d) = %d, %v", n, k, err)
			}
		}
	}()
	for i, n := range sizes {
		var got []byte
		for len(got) < n {
			var h [5]byte
			if _, err := io.ReadFull(server, h[:]); err != nil {
				t.Fatal(err)
			}
			l := int(binary.BigEndian.Uint16(h[3:]))
			if h[0] != 0x17 || h[1] != 3 || h[2] != 3 || l == 0 || l > MaxRecordPayload {
				t.Fatalf("record header %x", h)
			}
			if rest := n - len(got); l != min(rest, MaxRecordPayload) {
				t.Fatalf("record of %d bytes with %d to go: records must be full", l, rest)
			}
			p := make([]byte, l)
			if _, err := io.ReadFull(server, p); err != nil {
				t.Fatal(err)
			}
			got = append(got, p...)
		}
		mustEqual(t, "payload", got, randBytes(byte(i), n))
	}
}

func TestConnRead(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client)
	stream := testStream(16_000)
	want, _ := refUnwrap(stream)
	go func() {
		// Awkward pieces: inside headers, across records.
		for _, piece := range [][2]int{{0, 2}, {2, 9}, {9, 50}, {50, 10_000}, {10_000, len(stream)}} {
			server.Write(stream[piece[0]:piece[1]])
			time.Sleep(time.Millisecond)
		}
		server.Write(appRecord([]byte("tail")))
		server.(*net.TCPConn).CloseWrite()
	}()
	got := make([]byte, len(want)+4)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "payload", got, append(bytes.Clone(want), "tail"...))
	if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("at a clean end: %d, %v; want io.EOF", n, err)
	}
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d, %v", n, err)
	}
}

func TestConnReadErrors(t *testing.T) {
	for name, c := range map[string]struct {
		stream []byte
		want   error
	}{
		"cut in a payload": {appRecord([]byte("hello"))[:7], io.ErrUnexpectedEOF},
		"cut in a header":  {[]byte{0x17, 0x03}, io.ErrUnexpectedEOF},
		"alert":            {[]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}, ErrUnexpectedRecord},
	} {
		client, server := tcpPair(t)
		server.Write(c.stream)
		server.(*net.TCPConn).CloseWrite()
		_, err := io.ReadAll(NewConn(client))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// Two Conns back to back, both directions at once.
func TestConnPipeDuplex(t *testing.T) {
	a, b := net.Pipe()
	ca, cb := NewConn(a), NewConn(b)
	defer ca.Close()
	data := randBytes(9, 70_000)
	done := make(chan error, 2)
	go func() { _, err := ca.Write(data); done <- err }()
	go func() { _, err := cb.Write(data[:1000]); done <- err }()
	gotB := make([]byte, len(data))
	if _, err := io.ReadFull(cb, gotB); err != nil {
		t.Fatal(err)
	}
	gotA := make([]byte, 1000)
	if _, err := io.ReadFull(ca, gotA); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mustEqual(t, "a to b", gotB, data)
	mustEqual(t, "b to a", gotA, data[:1000])
	if ca.NetConn() != a || ca.LocalAddr() != a.LocalAddr() || ca.RemoteAddr() != a.RemoteAddr() {
		t.Fatal("accessors do not reach the underlying conn")
	}
	if err := ca.SetDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
}

func TestPayloadSent(t *testing.T) {
	const m = MaxRecordPayload
	for _, c := range []struct{ wrote, total, want int }{
		{0, 10, 0}, {5, 10, 0}, {6, 10, 1}, {15, 10, 10},
		{5 + m, 2 * m, m}, {5 + m + 5, 2 * m, m}, {5 + m + 5 + 7, 2 * m, m + 7}, {10 + 2*m, 2 * m, 2 * m},
	} {
		if got := payloadSent(c.wrote, c.total); got != c.want {
			t.Errorf("payloadSent(%d, %d) = %d, want %d", c.wrote, c.total, got, c.want)
		}
	}
}
