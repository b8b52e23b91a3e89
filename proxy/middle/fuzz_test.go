package middle

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// classifyPacket reads untrusted client packets. Whatever the bytes, it
// must not panic, and its verdict must agree with the rules restated here
// independently: whole words, at least 28 bytes; encrypted (auth_key_id
// != 0) from 56 bytes; unencrypted only for the four key exchange
// constructors with a length field that fits.
func FuzzClassifyPacket(f *testing.F) {
	seed := make([]byte, 40)
	binary.LittleEndian.PutUint32(seed[16:], 20)
	binary.LittleEndian.PutUint32(seed[20:], 0xbe7e8ef1)
	f.Add(seed)
	f.Add(encPacket(1, 56))
	f.Add(encPacket(2, 60))
	f.Add(make([]byte, 28))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		un, ok := classifyPacket(p)
		if len(p) < 28 || len(p)%4 != 0 {
			if ok {
				t.Fatalf("accepted a %d-byte packet", len(p))
			}
			return
		}
		authKey := binary.LittleEndian.Uint64(p)
		if un != (authKey == 0) {
			t.Fatalf("unencrypted %v for auth_key_id %#x", un, authKey)
		}
		if authKey != 0 {
			if ok != (len(p) >= 56) {
				t.Fatalf("encrypted %d bytes: ok %v", len(p), ok)
			}
			return
		}
		inner := int32(binary.LittleEndian.Uint32(p[16:]))
		ctor := binary.LittleEndian.Uint32(p[20:])
		known := ctor == 0x60469778 || ctor == 0xbe7e8ef1 || ctor == 0xd712e4be || ctor == 0xf5045f1f
		want := known && inner >= 20 && int(inner)+20 <= len(p)
		if ok != want {
			t.Fatalf("plain message ctor %#x inner %d of %d bytes: ok %v, want %v", ctor, inner, len(p), ok, want)
		}
	})
}

// Answers from a middle proxy are framed in place for the client; whatever
// their size and content, every transport's reader gets exactly them back.
func FuzzAnswerFraming(f *testing.F) {
	f.Add(uint8(0), []byte("abcd"), uint8(1))
	f.Add(uint8(1), bytes.Repeat([]byte{0xef}, 0x7f*4), uint8(2))
	f.Add(uint8(2), bytes.Repeat([]byte{0xdd}, 4096), uint8(3))
	// The third argument seeded the padding once; padding now comes from
	// math/rand/v2, and the argument stays so the corpora still apply.
	f.Fuzz(func(t *testing.T, tsel uint8, data []byte, _ uint8) {
		tr := []framing.Transport{framing.Abridged, framing.Intermediate, framing.Padded}[int(tsel)%3]
		data = data[:len(data)/4*4]
		if len(data) == 0 {
			return
		}
		var bp bufPool
		var wire bytes.Buffer
		pw := newPacketWriter(&wire, tr)
		for range 2 {
			it := packetItem(&bp, len(data))
			copy((*it.buf)[pktHead:], data)
			if err := pw.writePacket(*it.buf, it.n); err != nil {
				t.Fatal(err)
			}
			bp.put(it.buf)
		}
		rd := framing.NewResponseReader(&wire, tr, 2<<20)
		for i := range 2 {
			p, qa, err := rd.ReadPacket()
			if err != nil || qa || !bytes.Equal(p, data) {
				t.Fatalf("%v packet %d: %d bytes back of %d, quick ack %v, %v", tr, i, len(p), len(data), qa, err)
			}
		}
		if wire.Len() != 0 {
			t.Fatalf("%d bytes left over", wire.Len())
		}
	})
}
