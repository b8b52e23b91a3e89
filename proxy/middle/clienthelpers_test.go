package middle

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// testDomain is the FakeTLS domain of rigs whose engine has TLSDomain set.
const testDomain = "example.com"

// withTLS turns FakeTLS on in the rig's engine.
func withTLS(o *proxy.Options) {
	o.TLSDomain = testDomain
	o.FrontingAddr = "127.0.0.1:1" // never reached by a valid client
}

// echo sends a packet tagged id through c and checks the fake middle
// proxy's echo comes back, within a safety deadline.
func echo(t *testing.T, c *client.Conn, id uint32, n int) {
	t.Helper()
	p := encPacket(id, n)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if err := c.WritePacket(p, false); err != nil {
		t.Fatalf("packet %d: write: %v", id, err)
	}
	got, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("packet %d: read: %v", id, err)
	}
	if !bytes.Equal(got.Data, p) {
		t.Fatalf("packet %d: got %d bytes %x..., want the echo", id, len(got.Data), got.Data[:min(16, len(got.Data))])
	}
}

// expectClosed checks that the proxy closes c: a read ends with an error
// (EOF or reset) before the safety deadline, without data.
func expectClosed(t *testing.T, c *client.Conn) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	for {
		p, err := c.ReadPacket()
		if err == nil {
			if p.QuickAck {
				continue
			}
			t.Fatalf("got a %d-byte packet, want the connection closed", len(p.Data))
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the proxy did not close the client")
		}
		return
	}
}
