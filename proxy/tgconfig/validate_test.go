package tgconfig

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// withDCs builds a config text with proxies for DCs 1..n and default 1.
func withDCs(n int) *Config {
	var b strings.Builder
	b.WriteString("default 1;\n")
	for dc := 1; dc <= n; dc++ {
		fmt.Fprintf(&b, "proxy_for %d 10.0.0.%d:8888;\n", dc, dc)
	}
	c, err := Parse([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return c
}

func TestValidate(t *testing.T) {
	noDefault, _ := Parse([]byte("proxy_for 1 1.2.3.4:80;"))
	badDefault, _ := Parse([]byte("default 3; proxy_for 1 1.2.3.4:80;"))
	for _, tc := range []struct {
		name    string
		c, prev *Config
		want    error
	}{
		{"fresh", withDCs(10), nil, nil},
		{"same size", withDCs(10), withDCs(10), nil},
		{"grew", withDCs(10), withDCs(2), nil},
		{"half", withDCs(5), withDCs(10), nil},
		{"under half", withDCs(4), withDCs(10), ErrShrunk},
		{"one of three", withDCs(1), withDCs(3), ErrShrunk},
		{"empty prev", withDCs(1), &Config{}, nil},
		{"nil", nil, nil, ErrEmpty},
		{"empty", &Config{Default: 2}, withDCs(3), ErrEmpty},
		{"no default statement", noDefault, nil, ErrNoDefault},
		{"default without proxies", badDefault, nil, ErrNoDefault},
	} {
		err := tc.c.Validate(tc.prev)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/getProxyConfig", "testdata/getProxyConfigV6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("timeout 300; min_connections 1; max_connections 9;\nproxy 1.2.3.4:5;\n# c\n"))
	f.Add([]byte("proxy_for -2 [::ffff:1.2.3.4]:80; default -2;"))
	f.Add([]byte("proxy_for 1 1.2.3.4:80;proxy_for 2 1.2.3.4:80;proxy_for 1 1.2.3.4:80;"))

	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				if se.Line < 1 || se.Col < 1 || se.Err == nil {
					t.Fatalf("bad position or cause: %+v", se)
				}
				lines := strings.Split(string(b), "\n")
				if se.Line > len(lines) || se.Col > len(lines[se.Line-1])+1 {
					t.Fatalf("position %d:%d outside the input", se.Line, se.Col)
				}
			} else if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for dc, list := range c.Targets {
			if len(list) == 0 || dc < minDC || dc > maxDC {
				t.Fatalf("DC %d with %d targets", dc, len(list))
			}
			for _, a := range list {
				if !a.IsValid() || a.Port() == 0 {
					t.Fatalf("bad address %v", a)
				}
			}
		}
		_ = c.Validate(c)
		text, _ := c.MarshalText()
		c2, err := Parse(text)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip: %v\n%s", err, text)
		}
	})
}
