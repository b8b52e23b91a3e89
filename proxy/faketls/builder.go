package faketls

import (
	"encoding/binary"
	"io"
)

// builder appends TLS structures to a byte slice: length-prefixed scopes
// are opened with a placeholder and closed once their content is known.
// Random content comes from rand; the first error sticks.
type builder struct {
	b      []byte
	scopes []int // offsets of open 2-byte length prefixes
	rand   io.Reader
	err    error
}

func (w *builder) str(s string) { w.b = append(w.b, s...) }
func (w *builder) raw(p []byte) { w.b = append(w.b, p...) }
func (w *builder) u8(v byte)    { w.b = append(w.b, v) }
func (w *builder) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *builder) zeros(n int)  { w.b = append(w.b, make([]byte, n)...) }

// random appends n bytes from rand and returns them for further shaping.
func (w *builder) random(n int) []byte {
	start := len(w.b)
	w.zeros(n)
	if w.err == nil {
		_, w.err = io.ReadFull(w.rand, w.b[start:])
	}
	return w.b[start:]
}

// open starts a vector with a 2-byte length prefix.
func (w *builder) open() {
	w.scopes = append(w.scopes, len(w.b))
	w.u16(0)
}

// close ends the innermost open vector, filling in its length.
func (w *builder) close() {
	at := w.scopes[len(w.scopes)-1]
	w.scopes = w.scopes[:len(w.scopes)-1]
	binary.BigEndian.PutUint16(w.b[at:], uint16(len(w.b)-at-2))
}

// ext appends one extension of type typ whose body body writes.
func (w *builder) ext(typ uint16, body func()) {
	w.u16(typ)
	w.open()
	body()
	w.close()
}
