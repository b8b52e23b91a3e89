package fakedc

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

// QuickAckToken returns the quick-ACK token the DC sends for a packet that
// requests one: the first 4 bytes of SHA-256(packet) as a little-endian
// u32, with bit 31 set as every token has. (Telegram hashes the auth key and
// the encrypted message; a fake DC has no key, and a client can predict
// this token to check it was relayed intact.)
func QuickAckToken(pkt []byte) uint32 {
	sum := sha256.Sum256(pkt)
	return binary.LittleEndian.Uint32(sum[:]) | 1<<31
}

// servePackets runs a Packets-mode connection.
func (s *session) servePackets() error {
	rd := framing.NewReader(s.dec, s.t, 0)
	wr := framing.NewWriter(s.enc, s.t, s.d.o.Rand)
	for {
		pkt, err := s.next(rd, wr)
		if err != nil {
			return err
		}
		if err := s.packet(rd, wr, pkt); err != nil {
			return err
		}
	}
}

// next reads a packet, counts it and sends the quick ACK it asks for.
func (s *session) next(rd *framing.Reader, wr *framing.Writer) ([]byte, error) {
	pkt, quickAck, err := rd.ReadPacket()
	if err != nil {
		return nil, err
	}
	s.c.packets.Add(1)
	if quickAck {
		if err := wr.WriteQuickAck(QuickAckToken(pkt)); err != nil {
			return nil, err
		}
	}
	return pkt, nil
}

// packet dispatches one packet.
func (s *session) packet(rd *framing.Reader, wr *framing.Writer, pkt []byte) error {
	if ctor, ok := mtproto.Constructor(pkt); ok {
		switch ctor {
		case mtproto.CtorReqPQMulti:
			return s.answerReqPQ(wr, pkt)
		case mtproto.CtorReqDHParams:
			return s.recordReqDH(pkt)
		}
	}
	if IsBulk(pkt) {
		return s.bulkPackets(rd, wr, pkt)
	}
	if err := s.pause(); err != nil {
		return err
	}
	if err := wr.WritePacket(pkt, false); err != nil {
		return err
	}
	s.d.st.echoed.Add(1)
	return nil
}

// answerReqPQ answers req_pq_multi with a resPQ Telethon accepts.
func (s *session) answerReqPQ(wr *framing.Writer, pkt []byte) error {
	_, nonce, err := mtproto.ParseReqPQMulti(pkt)
	if err != nil {
		return err
	}
	r := mtproto.ResPQ{Nonce: nonce, PQ: mtproto.DefaultPQ, Fingerprints: []int64{mtproto.DefaultFingerprint}}
	if _, err := s.d.o.Rand.Read(r.ServerNonce[:]); err != nil {
		return fmt.Errorf("fakedc: server nonce: %w", err)
	}
	answer := r.Append(nil, s.msgIDs.Next(s.d.o.Now(), mtproto.ServerResponse))
	if err := s.pause(); err != nil {
		return err
	}
	if err := wr.WritePacket(answer, false); err != nil {
		return err
	}
	s.d.st.reqPQ.Add(1)
	s.d.event(func() { s.c.reqPQ++ })
	return nil
}

// recordReqDH keeps the first req_DH_params of the connection and queues
// the event for WaitReqDH. It answers nothing.
func (s *session) recordReqDH(pkt []byte) error {
	msg := append([]byte(nil), pkt...)
	s.d.st.reqDH.Add(1)
	s.d.event(func() {
		if s.c.reqDH == nil {
			s.c.reqDH = msg
		}
		ci := s.c.info()
		ci.ReqDH = msg
		s.d.reqDH = append(s.d.reqDH, ci)
	})
	if s.d.o.CloseOnReqDH {
		return errCloseAfterReqDH
	}
	return nil
}

// bulkPackets serves a bulk request in Packets mode.
func (s *session) bulkPackets(rd *framing.Reader, wr *framing.Writer, pkt []byte) error {
	req, err := ParseBulkRequest(pkt)
	if err != nil {
		return err
	}
	chunk := chunkFor(req, true)
	if req.Op == OpDownload {
		if req.Total%4 != 0 {
			return fmt.Errorf("%w: download of %d bytes is not whole packets", ErrBadControl, req.Total)
		}
		if err := s.pause(); err != nil {
			return err
		}
		buf, release := s.buffer(chunk)
		defer release()
		for off := uint64(0); off < req.Total; {
			n := int(min(uint64(chunk), req.Total-off))
			FillPattern(buf[:n], off)
			if err := wr.WritePacket(buf[:n], false); err != nil {
				return err
			}
			off += uint64(n)
		}
		s.bulkDone()
		return nil
	}
	rep := BulkReport{FirstBad: -1}
	for rep.Received < req.Total {
		p, err := s.next(rd, wr)
		if err != nil {
			return err
		}
		if uint64(len(p)) > req.Total-rep.Received {
			return fmt.Errorf("%w: upload packet past the announced total", ErrBadControl)
		}
		if i := CheckPattern(p, rep.Received); i >= 0 && rep.FirstBad < 0 {
			rep.FirstBad = int64(rep.Received) + int64(i)
		}
		rep.Received += uint64(len(p))
	}
	if err := s.pause(); err != nil {
		return err
	}
	var b [BulkRequestLen]byte
	if err := wr.WritePacket(rep.Append(b[:0]), false); err != nil {
		return err
	}
	s.bulkDone()
	return nil
}
