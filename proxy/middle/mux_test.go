package middle

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// A client's req_pq_multi crosses the proxy in an RPC_PROXY_REQ and the
// resPQ comes back, for every transport.
func TestReqPQEveryTransport(t *testing.T) {
	r := newRig(t, rigOpts{})
	for _, mode := range []client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS} {
		if mode == client.FakeTLS {
			continue // needs TLSDomain on the engine; covered by the engine's tests
		}
		t.Run(mode.String(), func(t *testing.T) {
			c := r.dial(mode, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := c.ReqPQ(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	r.noViolations()
	st := r.m.Stats()
	if st.Queries.Forwarded != 3 || st.Responses.Forwarded != 3 {
		t.Fatalf("stats %+v", st)
	}
	reqs := r.mids[0].Requests()
	for _, q := range reqs {
		if q.Flags&0x2 == 0 {
			t.Errorf("req_pq_multi without the not-encrypted flag: %#x", q.Flags)
		}
	}
}

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
