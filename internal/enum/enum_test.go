package enum

import "testing"

type color uint8

const (
	red color = iota + 1
	green
	numColors
)

var colorNames = [...]string{red: "red", green: "green"}

var _ = [1]struct{}{}[len(colorNames)-int(numColors)]

type level int

const (
	low level = iota
	high
)

var levelNames = [...]string{low: "low", high: "high"}

func TestName(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Name(colorNames[:], red), "red"},
		{Name(colorNames[:], green), "green"},
		{Name(colorNames[:], color(0)), Unknown}, // the unused zero
		{Name(colorNames[:], numColors), Unknown},
		{Name(colorNames[:], color(255)), Unknown},
		{Name(levelNames[:], low), "low"},
		{Name(levelNames[:], high), "high"},
		{Name(levelNames[:], level(-1)), Unknown},
		{Name(levelNames[:], level(2)), Unknown},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	if v, ok := Parse[color](colorNames[:], "green"); !ok || v != green {
		t.Errorf("Parse(green) = %v %v", v, ok)
	}
	if v, ok := Parse[level](levelNames[:], "low"); !ok || v != low {
		t.Errorf("Parse(low) = %v %v", v, ok)
	}
	for _, s := range []string{"", "blue", "Red"} {
		if _, ok := Parse[color](colorNames[:], s); ok {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}
