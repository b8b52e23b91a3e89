package wire

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes from either side. Whatever Parse accepts
// must obey the frame rules and re-encode to exactly the bytes it took.
func FuzzParse(f *testing.F) {
	f.Add(Hello(), true)
	f.Add(Welcome(), false)
	f.Add(AppendWindow(AppendFrame(nil, TypeData, 3, []byte("abc")), 3, 9), true)
	f.Add(AppendFrame(nil, TypeOpen, 1, nil), true)
	f.Add([]byte{0x02, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, true)
	f.Fuzz(func(t *testing.T, b []byte, client bool) {
		from := FromRelay
		if client {
			from = FromClient
		}
		n, batchErr := CheckBatch(b, from)
		frames := 0
		rest := b
		for len(rest) > 0 {
			fr, used, err := Parse(rest, from)
			if err != nil {
				if batchErr == nil {
					t.Fatalf("CheckBatch accepted what Parse refuses: %v", err)
				}
				return
			}
			if used != HeaderLen+len(fr.Payload) || len(fr.Payload) > MaxPayload {
				t.Fatalf("used %d for a payload of %d", used, len(fr.Payload))
			}
			if r, ok := ruleOf(fr.Type); !ok || (r.from != 0 && r.from != from) || r.stream != (fr.Stream != 0) {
				t.Fatalf("accepted %v on stream %d from %v", fr.Type, fr.Stream, from)
			}
			if fr.Type == TypeData && len(fr.Payload) == 0 || fr.Type == TypeWindow && fr.Window() == 0 {
				t.Fatalf("accepted an empty %v", fr.Type)
			}
			if enc := AppendFrame(nil, fr.Type, fr.Stream, fr.Payload); !bytes.Equal(enc, rest[:used]) {
				t.Fatalf("re-encoding differs: %x vs %x", enc, rest[:used])
			}
			rest = rest[used:]
			frames++
		}
		if batchErr == nil && n != frames {
			t.Fatalf("CheckBatch counted %d frames, Parse %d", n, frames)
		}
		if batchErr != nil && len(b) <= MaxBatchBytes && frames <= MaxBatchFrames {
			t.Fatalf("CheckBatch refused a good batch of %d frames: %v", frames, batchErr)
		}
	})
}
