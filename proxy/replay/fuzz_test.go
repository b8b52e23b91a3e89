package replay

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzRead: any bytes are either a saved cache, read back within the
// capacity and saved again identically (after dropping expired keys), or
// ErrBadFile.
func FuzzRead(f *testing.F) {
	c := New(8)
	for i := range 3 {
		c.Seen(key(i), t0, t0.Add(time.Duration(i+1)*time.Minute))
	}
	var b bytes.Buffer
	_ = c.Save(&b, t0)
	f.Add(b.Bytes())
	f.Add([]byte(fileMagic + "\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(bytes.NewReader(data), 4, t0)
		if err != nil {
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("error %v is not ErrBadFile", err)
			}
			return
		}
		if r.Len() > 4 {
			t.Fatalf("%d keys in a cache of 4", r.Len())
		}
		var out bytes.Buffer
		if err := r.Save(&out, t0); err != nil {
			t.Fatal(err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), 4, t0)
		if err != nil || again.Len() != r.Len() {
			t.Fatalf("re-read of a saved cache: %d keys, %v (had %d)", again.Len(), err, r.Len())
		}
	})
}
