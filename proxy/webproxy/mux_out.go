package webproxy

import (
	"slices"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// fill appends the frames the session has to send to buf, within the
// batch limits and each stream's credit, and returns the grown buffer and
// the DATA bytes it took (the budget the batch now holds until it is
// delivered). Streams are served in turn: one still having something once
// the batch is full goes first next time. Called with s.mu held.
func (s *session) fill(buf []byte) ([]byte, int64) {
	frames := 0
	fits := func(n int) bool { return frames < wire.MaxBatchFrames && len(buf)+n <= wire.MaxBatchBytes }
	for len(s.refused) > 0 && fits(wire.HeaderLen) {
		buf = wire.AppendFrame(buf, wire.TypeClose, s.refused[0], nil)
		s.refused = s.refused[1:]
		frames++
	}
	if len(s.refused) == 0 {
		s.refused = nil
	}
	var payload int64
	dirty := s.dirty
	var again []*stream
	i := 0
	for ; i < len(dirty) && fits(wire.HeaderLen); i++ {
		st := dirty[i]
		if st.aborted {
			st.inDirty = false
			continue
		}
		if st.grant > 0 && fits(wire.HeaderLen+4) {
			buf = wire.AppendWindow(buf, st.id, st.grant)
			st.grant = 0
			frames++
		}
		for st.down.len() > 0 && st.sendWindow > 0 && fits(wire.HeaderLen+1) {
			n := min(st.down.len(), int(st.sendWindow), wire.MaxDataChunk, wire.MaxBatchBytes-len(buf)-wire.HeaderLen)
			at := len(buf)
			buf = slices.Grow(buf, wire.HeaderLen+n)[:at+wire.HeaderLen+n]
			wire.PutHeader(buf[at:], wire.TypeData, st.id, n)
			st.down.read(s.c.chunks, buf[at+wire.HeaderLen:])
			st.sendWindow -= int64(n)
			payload += int64(n)
			frames++
			signal(st.wsig)
		}
		if st.eof && st.down.len() == 0 && fits(wire.HeaderLen) {
			buf = wire.AppendFrame(buf, wire.TypeClose, st.id, nil)
			frames++
			st.inDirty = false
			s.removeStream(st)
			continue
		}
		if st.grant > 0 || st.down.len() > 0 && st.sendWindow > 0 || st.eof && st.down.len() == 0 {
			again = append(again, st)
		} else {
			st.inDirty = false
		}
	}
	// The streams not reached go first next time, then those still busy.
	rest := copy(dirty, dirty[i:])
	s.dirty = append(dirty[:rest], again...)
	return buf, payload
}
