package faketls

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestBuildClientHelloOptions(t *testing.T) {
	base, _ := buildHello(t, 30, HelloOptions{Domain: testDomain})
	msgLen := len(base) - 5
	t.Logf("a default hello is %d bytes on the wire", len(base))

	// PadTo: exact sizes, including no padding at all.
	for _, n := range []int{msgLen, msgLen + 4, msgLen + 5, 4000, MaxHelloSize} {
		raw, _ := buildHello(t, 30, HelloOptions{Domain: testDomain, PadTo: n})
		if len(raw) != 5+n {
			t.Fatalf("PadTo %d: %d bytes", n, len(raw))
		}
		if _, err := ParseClientHello(raw); err != nil {
			t.Fatalf("PadTo %d: %v", n, err)
		}
	}
	for _, n := range []int{-1, msgLen - 1, msgLen + 1, msgLen + 3, 0x10000} {
		if _, _, err := BuildClientHello(testRand(30), testSecret, HelloOptions{Domain: testDomain, PadTo: n}); !errors.Is(err, ErrBadLength) {
			t.Errorf("PadTo %d: %v, want ErrBadLength", n, err)
		}
	}
	for _, split := range [][]int{{0}, {5, 5}, {10, 4}, {msgLen}, {msgLen + 1}, {-3}} {
		if _, _, err := BuildClientHello(testRand(30), testSecret, HelloOptions{Domain: testDomain, SplitAt: split}); !errors.Is(err, ErrBadLength) {
			t.Errorf("SplitAt %v: %v, want ErrBadLength", split, err)
		}
	}
	// The caller's SplitAt is not written to, even with spare capacity.
	split := make([]int, 1, 4)
	split[0] = 100
	spare := split[:2]
	spare[1] = -7
	buildHello(t, 30, HelloOptions{Domain: testDomain, SplitAt: split})
	if spare[1] != -7 {
		t.Fatal("BuildClientHello wrote into SplitAt's backing array")
	}
	// Splitting changes the framing only.
	raw, _ := buildHello(t, 30, HelloOptions{Domain: testDomain, SplitAt: []int{1, 2, 1000}})
	mustEqual(t, "split hello re-joined", joinRecords(t, raw), base)
	// A failing random source fails the build.
	for _, n := range []int{0, 10, 100, 1500} {
		_, _, err := BuildClientHello(io.MultiReader(bytes.NewReader(make([]byte, n))), testSecret, HelloOptions{Domain: testDomain})
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("random cut after %d bytes: %v", n, err)
		}
	}
}

func TestGreaseValues(t *testing.T) {
	for seed := range byte(50) {
		g, err := greaseValues(testRand(seed))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range g {
			if !isGrease(v) {
				t.Fatalf("%#04x is not GREASE", v)
			}
			if i%2 == 1 && v == g[i-1] {
				t.Fatalf("pair %d equal: %#04x", i/2, v)
			}
		}
	}
}
