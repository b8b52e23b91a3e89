package middle

import (
	"bytes"
	"testing"

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
