package defaults

import (
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	d := time.Duration(0)
	Set(&d, time.Second)
	if d != time.Second {
		t.Fatalf("zero duration became %v", d)
	}
	d = -1
	Set(&d, time.Second)
	if d != -1 {
		t.Fatalf("a negative duration (a meaningful value) became %v", d)
	}
	s := ""
	Set(&s, "x")
	if s != "x" {
		t.Fatalf("empty string became %q", s)
	}
	var e error
	want := error(&testError{})
	Set(&e, want)
	if e != want {
		t.Fatalf("nil interface became %v", e)
	}
	p := new(int)
	Set(&p, nil)
	if p == nil {
		t.Fatal("a set pointer was replaced")
	}
}

func TestSetPositive(t *testing.T) {
	for _, v := range []int{0, -1, -1 << 62} {
		n := v
		SetPositive(&n, 7)
		if n != 7 {
			t.Fatalf("%d became %d, want the default", v, n)
		}
	}
	n := 3
	SetPositive(&n, 7)
	if n != 3 {
		t.Fatalf("a positive value became %d", n)
	}
}

type testError struct{}

func (*testError) Error() string { return "test" }
