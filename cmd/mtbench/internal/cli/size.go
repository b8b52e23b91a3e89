package cli

import (
	"errors"
	"strconv"
	"strings"
)

// ErrSize means a size is not a non-negative integer with an optional
// binary unit.
var ErrSize = errors.New("cli: size must be an integer with an optional unit (K, KiB, M, MiB, G, GiB)")

// ParseSize reads a byte count: a plain integer, or one followed by K/KiB,
// M/MiB or G/GiB (all binary: 64M is 64<<20), case-insensitive. It refuses
// negative values and anything over 1 TiB.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	var shift uint
	switch unit {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, ErrSize
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<40)>>shift {
		return 0, ErrSize
	}
	return n << shift, nil
}

// sizeFlag is a flag.Value holding a size.
type sizeFlag struct{ n *int64 }

func (f sizeFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return strconv.FormatInt(*f.n, 10)
}

func (f sizeFlag) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*f.n = n
	return nil
}
