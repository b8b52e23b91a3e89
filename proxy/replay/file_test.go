package replay

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func saved(t testing.TB, c *Cache, now time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := c.Save(&b, now); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A saved cache read back remembers the keys still in their window, with
// their own expiries, and forgets the rest.
func TestSaveRead(t *testing.T) {
	c := New(100)
	for i := range 10 {
		c.Seen(key(i), t0, t0.Add(time.Duration(i+1)*time.Minute))
	}
	b := saved(t, c, t0)
	later := t0.Add(5*time.Minute + time.Second) // keys 0..4 are past their window
	r, err := Read(bytes.NewReader(b), 100, later)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 5 {
		t.Fatalf("%d keys read back, want 5", r.Len())
	}
	for i := 5; i < 10; i++ {
		exp := t0.Add(time.Duration(i+1) * time.Minute)
		if !r.Seen(key(i), exp, exp.Add(time.Hour)) {
			t.Errorf("key %d forgotten across the save", i)
		}
		if r.Seen(key(i), exp.Add(time.Nanosecond), exp.Add(time.Hour)) {
			t.Errorf("key %d outlived its expiry after the save", i)
		}
	}
	if r.Seen(key(0), later, later.Add(time.Hour)) {
		t.Error("an expired key came back")
	}
}

// Reading into a smaller cache keeps the keys with the longest windows.
func TestReadIntoSmallerCache(t *testing.T) {
	c := New(100)
	for i := range 10 {
		c.Seen(key(i), t0, t0.Add(time.Duration(i+1)*time.Minute))
	}
	r, err := Read(bytes.NewReader(saved(t, c, t0)), 3, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(t0); st.Entries != 3 || st.Evicted[EvictFull] != 7 {
		t.Fatalf("stats %+v", st)
	}
	for _, i := range []int{7, 8, 9} {
		if !r.Seen(key(i), t0, t0.Add(time.Hour)) {
			t.Errorf("key %d dropped", i)
		}
	}
}

// Anything but a whole, intact saved cache is refused.
func TestReadRefusesDamage(t *testing.T) {
	c := New(100)
	for i := range 4 {
		c.Seen(key(i), t0, t0.Add(time.Hour))
	}
	good := saved(t, c, t0)
	flip := bytes.Clone(good)
	flip[len(fileMagic)+4+3] ^= 1
	cases := map[string][]byte{
		"empty":          nil,
		"other file":     []byte("0123456789abcdef0123456789abcdef\n"),
		"truncated":      good[:len(good)-5],
		"no checksum":    good[:len(good)-4],
		"flipped bit":    flip,
		"trailing bytes": append(bytes.Clone(good), 0),
	}
	for name, b := range cases {
		if _, err := Read(bytes.NewReader(b), 100, t0); !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: %v, want ErrBadFile", name, err)
		}
	}
	if _, err := Read(bytes.NewReader(good), 100, t0); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
}
