package client

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

// ReqPQ sends req_pq_multi with a fresh nonce and waits for the resPQ,
// skipping quick-ACK tokens. Through a proxy to a fake DC it proves both
// directions work. ctx bounds the exchange; deadlines set on the connection
// are cleared when it returns. Any other packet in between is an error.
func (c *Conn) ReqPQ(ctx context.Context) (*mtproto.ResPQ, error) {
	var nonce [16]byte
	if _, err := io.ReadFull(c.rnd, nonce[:]); err != nil {
		return nil, fmt.Errorf("client: nonce: %w", err)
	}
	stop := bindContext(ctx, c.nc)
	defer stop()
	msg := mtproto.AppendReqPQMulti(nil, c.msgIDs.Next(time.Now(), mtproto.ClientMsg), nonce)
	if err := c.WritePacket(msg, false); err != nil {
		return nil, fmt.Errorf("client: req_pq_multi: %w", ctxErr(ctx, err))
	}
	for {
		p, err := c.ReadPacket()
		if err != nil {
			return nil, fmt.Errorf("client: waiting for resPQ: %w", ctxErr(ctx, err))
		}
		if p.QuickAck {
			continue
		}
		_, r, err := mtproto.ParseResPQ(p.Data)
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		if r.Nonce != nonce {
			return nil, ErrNonce
		}
		return r, nil
	}
}
