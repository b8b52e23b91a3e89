package middle

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"github.com/mtproxy/mtproxy/users"
)

// With Options.Users, a user's own ad tag (Session.AdTag) goes into its
// RPC_PROXY_REQ instead of the middle layer's; a user without one gets
// the middle layer's.
func TestUserAdTag(t *testing.T) {
	proxyTag := rpc.AdTag{1, 2, 3}
	userTag := rpc.AdTag{0xab, 0xcd, 0xef, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, tc := range []struct {
		name, tag string
		want      rpc.AdTag
	}{{"own tag", hex.EncodeToString(userTag[:]), userTag}, {"no tag", "", proxyTag}} {
		t.Run(tc.name, func(t *testing.T) {
			reg := users.New(users.Options{})
			want := [16]byte(tc.want)
			r := newRig(t, rigOpts{
				fm:   func(_ *rig, _ int, o *fakemiddle.Options) { o.ExpectTag = &want },
				opts: func(o *Options) { o.AdTag = &proxyTag },
				setup: func(r *rig, _ *Options) {
					if err := reg.Apply([]users.Spec{{Name: "u", Key: r.key, Enabled: true, Tag: tc.tag}}); err != nil {
						t.Fatal(err)
					}
				},
				engine: func(o *proxy.Options) { o.Secrets, o.Users = nil, reg.Engine() },
			})
			c := r.dial(client.Padded, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := c.ReqPQ(ctx); err != nil {
				t.Fatal(err)
			}
			reqs := requestsOf(r.mids[0], connIDOf(t, r.mids[0], c))
			if len(reqs) == 0 {
				t.Fatal("no request reached the middle proxy")
			}
			for _, q := range reqs {
				if q.Flags&fakemiddle.FlagHasAdTag == 0 || string(q.Tag) != string(tc.want[:]) {
					t.Errorf("request flags %#x, tag %x; want %x", q.Flags, q.Tag, tc.want)
				}
			}
			r.noViolations()
		})
	}
}
