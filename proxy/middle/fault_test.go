package middle

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// exchangeUntilClosed sends packets of random sizes and checks every byte
// of every answer until the connection ends; the end must be a clean close
// (not a timeout, not a corrupted answer).
func exchangeUntilClosed(c *client.Conn, id uint32, seed uint64) error {
	rnd := rand.New(rand.NewPCG(seed, uint64(id)))
	for k := uint32(0); ; k++ {
		p := encPacket(id<<16|k, 56+4*rnd.IntN(2000))
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if err := c.WritePacket(p, false); err != nil {
			return closedCleanly(err)
		}
		got, err := c.ReadPacket()
		if err != nil {
			return closedCleanly(err)
		}
		if !bytes.Equal(got.Data, p) {
			return fmt.Errorf("client %d: answer %d corrupted (%d bytes, sent %d)", id, k, len(got.Data), len(p))
		}
	}
}

// closedCleanly accepts the errors of a connection the proxy closed.
func closedCleanly(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("the client was left hanging: %w", err)
	}
	return nil
}

// A middle proxy that breaks mid-stream (garbage, a bad CRC, an oversize
// frame, a stall inside a frame) while clients exchange packets: its
// connection is closed for the right reason, every client either got
// intact answers or a clean close (no hang, no corrupted byte), the pool
// reconnects and serves new clients, and nothing leaks.
func TestMiddleProxyFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  fakemiddle.Fault
		reason CloseReason
	}{
		{"garbage", fakemiddle.FaultGarbage, CloseProtocolError},
		{"bad_crc", fakemiddle.FaultBadCRC, CloseProtocolError},
		{"oversize_frame", fakemiddle.FaultOversize, CloseProtocolError},
		{"stall_mid_frame", fakemiddle.FaultStallMidFrame, ClosePingTimeout},
	} {
		before := runtime.NumGoroutine()
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOpts{engine: withTLS, opts: func(o *Options) {
				oneConn(o)
				o.PingInterval, o.PingTimeout = 100*time.Millisecond, time.Second
			}})
			const clients = 8
			errs := make(chan error, clients)
			var wg sync.WaitGroup
			for i := range clients {
				c := r.dial(allModes[i%len(allModes)], 2)
				echo(t, c, uint32(i), 64)
				wg.Go(func() { errs <- exchangeUntilClosed(c, uint32(i), 7) })
			}
			eventually(t, "traffic flowing", 20*time.Second, func() bool { return r.m.Stats().Responses.Forwarded > 100 })
			injected := time.Now()
			r.mids[0].Inject(tc.fault)
			wg.Wait()
			closedIn := time.Since(injected)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			eventually(t, "the connection closed as "+tc.reason.String(), 20*time.Second, func() bool {
				return r.obs.closeReasons()[tc.reason] >= 1
			})
			r.waitTargets(1)
			echo(t, r.dial(client.Padded, 2), 99, 4096)
			st := r.m.Stats()
			t.Logf("%s: %d answers checked byte for byte, %d clients closed cleanly %v after the fault, reconnected %v after it",
				tc.name, st.Responses.Forwarded, clients, closedIn.Round(time.Millisecond), time.Since(injected).Round(time.Millisecond))
		})
		eventually(t, "the goroutines of "+tc.name+" gone", 20*time.Second, func() bool { return runtime.NumGoroutine() <= before })
	}
}
