package middle

import (
	"bytes"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// Echoes come back to the client that sent them.
func TestEcho(t *testing.T) {
	r := newRig(t, rigOpts{})
	c := r.dial(client.Intermediate, 2)
	for i := range 10 {
		p := encPacket(uint32(i), 64+8*i)
		if err := c.WritePacket(p, false); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadPacket()
		if err != nil || !bytes.Equal(got.Data, p) {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	r.noViolations()
}

// Packets that arrive in one read go to the middle proxy in one write,
// and a run always ends with a flush: also when it ends with a packet the
// proxy drops (too short to forward), which would otherwise leave the
// queries before it unsent. Every echo comes back, in order.
func TestPacketsInOneReadAllGoOut(t *testing.T) {
	r := newRig(t, rigOpts{})
	c := r.dial(client.Intermediate, 2)
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // a missing flush hangs: fail instead
	frame := func(p []byte) []byte {
		return append(framing.AppendHeader(nil, framing.Intermediate, len(p), false), p...)
	}
	a, b, d := encPacket(1, 64), encPacket(2, 200), encPacket(3, 96)
	short := make([]byte, 8)
	var burst []byte
	for _, p := range [][]byte{a, b, short, d, short} {
		burst = append(burst, frame(p)...)
	}
	if _, err := c.Raw().Write(burst); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{a, b, d} {
		got, err := c.ReadPacket()
		if err != nil || !bytes.Equal(got.Data, want) {
			t.Fatalf("echo %d: %v", i, err)
		}
	}
	r.noViolations()
}
