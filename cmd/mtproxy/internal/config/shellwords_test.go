package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n ", nil},
		{"a b\tc\nd", []string{"a", "b", "c", "d"}},
		{"  -p   8888  ", []string{"-p", "8888"}},
		{`'a b' "c d"`, []string{"a b", "c d"}},
		{`a'b c'd`, []string{"ab cd"}},
		{`'' ""`, []string{"", ""}},
		{`'it''s'`, []string{"its"}},
		{`"say \"hi\" \\ \$x \a"`, []string{`say "hi" \ $x \a`}},
		{`'no \escapes "here"'`, []string{`no \escapes "here"`}},
		{`a\ b \"c`, []string{"a b", `"c`}},
		{"a\\\nb", []string{"ab"}},
		{"\"a\\\nb\"", []string{"ab"}},
		{`$HOME ~ *`, []string{"$HOME", "~", "*"}},
	}
	for _, tc := range cases {
		got, err := splitWords(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `a "b`, `trailing\`, `"esc\"`} {
		if got, err := splitWords(bad); err == nil {
			t.Errorf("splitWords(%q) = %q, want an error", bad, got)
		}
	}
}

// shellQuote quotes w for splitWords (and a POSIX shell).
func shellQuote(w string) string {
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{"", "a b", `'a b' "c\"d"`, `x\ y`, "-S 00 --tls-domain=example.com", `"unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitWords(s)
		if err != nil {
			return
		}
		// Quoting the words and splitting again gives them back.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		again, err := splitWords(strings.Join(quoted, " "))
		if err != nil || !reflect.DeepEqual(again, words) {
			t.Fatalf("round trip of %q: %q, %v; want %q", s, again, err, words)
		}
	})
}
