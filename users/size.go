package users

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// sizeUnits are the accepted suffixes of a size: IEC (powers of 1024) and
// SI (powers of 1000). Matching is case-sensitive except for the k of kB.
var sizeUnits = map[string]uint64{
	"B":   1,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
}

// ErrSize is wrapped by every error ParseSize returns.
var ErrSize = errors.New("invalid size")

// ParseSize parses a byte count: a whole number ("1048576"), optionally
// followed by a unit ("50GiB", "2 MiB", "1.5GB"). A fraction needs a unit and
// must come to a whole number of bytes; negative numbers, unknown units and
// values beyond 2^63 are refused.
func ParseSize(s string) (uint64, error) {
	in := strings.TrimSpace(s)
	i := 0
	for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
		i++
	}
	num, unit := in[:i], strings.TrimSpace(in[i:])
	if num == "" {
		return 0, fmt.Errorf("%w %q: want a number of bytes, optionally with a unit such as 50GiB or 2MiB", ErrSize, s)
	}
	mult := uint64(1)
	if unit != "" {
		m, ok := sizeUnits[unit]
		if !ok {
			return 0, fmt.Errorf("%w %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB)", ErrSize, s, unit)
		}
		mult = m
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("%w %q: out of range", ErrSize, s)
		}
		return n * mult, nil
	}
	if unit == "" || strings.Count(num, ".") > 1 || strings.HasPrefix(num, ".") || strings.HasSuffix(num, ".") {
		return 0, fmt.Errorf("%w %q: a fraction needs digits on both sides of the point and a unit", ErrSize, s)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrSize, s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).SetUint64(mult)))
	if !r.IsInt() {
		return 0, fmt.Errorf("%w %q: not a whole number of bytes", ErrSize, s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%w %q: out of range", ErrSize, s)
	}
	return r.Num().Uint64(), nil
}

// FormatSize writes n in the largest IEC unit that divides it exactly, so
// that ParseSize(FormatSize(n)) == n: 53687091200 is "50GiB", 1500 is
// "1500B".
func FormatSize(n uint64) string {
	for _, u := range []struct {
		name string
		mult uint64
	}{{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatUint(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

// HumanSize writes n rounded, for people: "1.5 GiB", "312 B".
func HumanSize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatUint(n, 10) + " B"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}
