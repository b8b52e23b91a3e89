package doctor

import (
	"errors"
	"flag"
	"slices"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args    []string
		json    bool
		hide    bool
		timeout time.Duration
		rest    []string
	}{
		{nil, false, false, 0, nil},
		{[]string{"--json"}, true, false, 0, nil},
		{[]string{"-json", "--port=443", "--hide-links"}, true, true, 0, []string{"--port=443"}},
		{[]string{"-S", testSecret, "--timeout", "5s", "/data/proxy.conf"}, false, false, 5 * time.Second, []string{"-S", testSecret, "/data/proxy.conf"}},
		{[]string{"--timeout=250ms", "-H", "443"}, false, false, 250 * time.Millisecond, []string{"-H", "443"}},
		{[]string{"--port=443", "--", "--json"}, false, false, 0, []string{"--port=443", "--", "--json"}},
		{[]string{"json", "timeout"}, false, false, 0, []string{"json", "timeout"}},
	}
	for _, c := range cases {
		got, err := ParseArgs(c.args)
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", c.args, err)
			continue
		}
		if got.JSON != c.json || got.Options.HideLinks != c.hide || got.Options.Timeout != c.timeout || !slices.Equal(got.ConfigArgs, c.rest) {
			t.Errorf("ParseArgs(%q) = %+v", c.args, got)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--timeout"},
		{"--timeout=soon"},
		{"--timeout=0s"},
		{"--timeout", "2m"},
		{"--json=true"},
		{"--hide-links=1"},
	} {
		if _, err := ParseArgs(args); !errors.Is(err, ErrUsage) {
			t.Errorf("ParseArgs(%q): err %v, want ErrUsage", args, err)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--port=1", "--help"}} {
		if _, err := ParseArgs(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("ParseArgs(%q): err %v, want flag.ErrHelp", args, err)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("--json\x00--timeout\x005s\x00-S\x00" + testSecret)
	f.Add("--timeout=1s\x00--hide-links\x00--\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		args := splitNUL(joined)
		c, err := ParseArgs(args)
		if err != nil {
			if !errors.Is(err, ErrUsage) && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if c.Options.Timeout < 0 || c.Options.Timeout > time.Minute {
			t.Fatalf("timeout %v accepted", c.Options.Timeout)
		}
		// Doctor takes words out and adds none.
		if len(c.ConfigArgs) > len(args) {
			t.Fatalf("%d words from %d", len(c.ConfigArgs), len(args))
		}
		for _, w := range c.ConfigArgs {
			if !slices.Contains(args, w) {
				t.Fatalf("word %q was not given", w)
			}
		}
	})
}

func splitNUL(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
