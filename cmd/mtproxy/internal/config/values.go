package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The value types below implement flag.Value, which is also envconfig's
// Setter, so one field is filled by the environment and then by flags.
// Every Set treats an empty (or blank) value as "not set": the field keeps
// what it had (its default), like the seed's shell tests ([ -z "$VAR" ]).

// quote renders a user value for an error message, cut to a sane length.
// It must never be used on secrets.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "..."
	}
	return strconv.Quote(s)
}

// intValue is an integer within [min, max].
type intValue struct {
	n        int
	min, max int
	what     string // e.g. "a port number"
}

func (v *intValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min || n > v.max {
		return invalid(fmt.Sprintf("%s is not %s (%d-%d)", quote(s), v.what, v.min, v.max))
	}
	v.n = n
	return nil
}

func (v *intValue) String() string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(v.n)
}

// boolValue accepts true/false, 1/0, yes/no, on/off in any case. As a flag
// it needs no argument (--tls-only means --tls-only=true).
type boolValue struct{ b bool }

func (v *boolValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	switch strings.ToLower(s) {
	case "1", "t", "true", "y", "yes", "on":
		v.b = true
	case "0", "f", "false", "n", "no", "off":
		v.b = false
	default:
		return invalid(quote(s) + " is not true or false")
	}
	return nil
}

func (v *boolValue) String() string {
	if v == nil {
		return "false"
	}
	return strconv.FormatBool(v.b)
}

// IsBoolFlag lets the flag package accept the flag without a value.
func (v *boolValue) IsBoolFlag() bool { return true }

// durationValue is a Go duration ("90s", "1m30s") or whole seconds ("90").
type durationValue struct {
	d         time.Duration
	allowZero bool
}

func (v *durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseInt(s, 10, 32)
		if nerr != nil {
			return invalid(quote(s) + ` is not a duration like "30s", "5m" or "1h"`)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || (d == 0 && !v.allowZero) {
		if v.allowZero {
			return invalid(quote(s) + " is negative")
		}
		return invalid(quote(s) + " must be more than zero")
	}
	v.d = d
	return nil
}

func (v *durationValue) String() string {
	if v == nil {
		return ""
	}
	return v.d.String()
}

// textValue is a string checked and normalised by check.
type textValue struct {
	s     string
	check func(string) (string, error)
}

func (v *textValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if v.check != nil {
		n, err := v.check(s)
		if err != nil {
			return err
		}
		s = n
	}
	v.s = s
	return nil
}

func (v *textValue) String() string {
	if v == nil {
		return ""
	}
	return v.s
}

// listValue is a comma-separated list; each item is parsed by parse, which
// gets the item's 1-based position in the whole list. Set replaces the
// list, Append (repeated flags in one source) extends it. hide keeps the
// items out of String (secrets).
type listValue[T any] struct {
	items []T
	parse func(item string, pos int) (T, error)
	max   int // 0: unlimited
	what  string
	hide  bool
}

func (v *listValue[T]) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	items, err := v.parseAll(s, 0)
	if err != nil {
		return err
	}
	if len(items) > 0 { // "," alone is as good as empty
		v.items = items
	}
	return nil
}

// Append adds the items of s after the current ones.
func (v *listValue[T]) Append(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	items, err := v.parseAll(s, len(v.items))
	if err != nil {
		return err
	}
	v.items = append(v.items, items...)
	return nil
}

func (v *listValue[T]) parseAll(s string, have int) ([]T, error) {
	var out []T
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if v.max > 0 && have+len(out) >= v.max {
			return nil, invalid(fmt.Sprintf("more than %d %s", v.max, v.what))
		}
		t, err := v.parse(item, have+len(out)+1)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (v *listValue[T]) String() string {
	if v == nil || v.hide {
		return ""
	}
	parts := make([]string, len(v.items))
	for i, t := range v.items {
		parts[i] = fmt.Sprint(t)
	}
	return strings.Join(parts, ",")
}

// appender is a value that repeated flags extend instead of replace.
type appender interface {
	Append(string) error
}

// oneValue is a single value of any type, parsed by parse.
type oneValue[T any] struct {
	v     T
	set   bool
	parse func(string) (T, error)
}

func (v *oneValue[T]) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	t, err := v.parse(s)
	if err != nil {
		return err
	}
	v.v, v.set = t, true
	return nil
}

func (v *oneValue[T]) String() string {
	if v == nil || !v.set {
		return ""
	}
	return fmt.Sprint(v.v)
}
