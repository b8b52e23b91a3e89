package fakemiddle

import (
	"bytes"
	"encoding/binary"
)

// Fault is a way for an established connection to break mid-stream.
type Fault int

// Faults.
const (
	// FaultGarbage: 32 bytes that are not AES-CBC frames.
	FaultGarbage Fault = iota
	// FaultBadCRC: a well-encrypted RPC_PROXY_ANS frame whose CRC is
	// wrong.
	FaultBadCRC
	// FaultOversize: a frame announcing 64 MiB, far above any limit.
	FaultOversize
	// FaultStallMidFrame: the first two blocks of a frame, then nothing
	// more is written (reads go on): a middle proxy stuck mid-stream.
	FaultStallMidFrame
)

// Inject makes every established connection fail with f. The faults that
// end a frame stream are followed by nothing, as the connection cannot be
// resynchronised.
func (s *Server) Inject(f Fault) {
	for _, c := range s.snapshot() {
		c.wmu.Lock()
		c.inject(f)
		c.wmu.Unlock()
	}
}

// inject writes the fault; the caller holds wmu.
func (c *conn) inject(f Fault) {
	w := c.w
	switch f {
	case FaultGarbage:
		_ = w.raw([]byte("this is not an AES-CBC frame...."))
	case FaultBadCRC:
		fr := w.frame(nil, proxyAns(0, bytes.Repeat([]byte{0xaa}, 64)))
		fr[len(fr)-1] ^= 0xff
		_ = w.send(fr)
	case FaultOversize:
		hdr := binary.LittleEndian.AppendUint32(nil, 64<<20)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(w.seq))
		_ = w.send(hdr)
	case FaultStallMidFrame:
		fr := w.frame(nil, proxyAns(0, bytes.Repeat([]byte{0xaa}, 256)))
		for len(fr)%16 != 0 {
			fr = binary.LittleEndian.AppendUint32(fr, 4)
		}
		if w.cbc != nil {
			w.cbc.CryptBlocks(fr, fr)
		}
		_ = w.raw(fr[:32])
	}
	w.stalled = true
}
