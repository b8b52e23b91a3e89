package tgconfig

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseSample(t *testing.T) {
	b, err := os.ReadFile("testdata/getProxyConfig")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Default != 2 || c.Timeout != 0 || c.MinConnections != 0 || c.MaxConnections != 0 {
		t.Errorf("settings: %+v", c)
	}
	if got := c.DCs(); !slices.Equal(got, []int{-5, -4, -3, -2, -1, 1, 2, 3, 4, 5}) {
		t.Errorf("DCs = %v", got)
	}
	if got := c.Targets[4]; !slices.Equal(got, []netip.AddrPort{ap("91.108.4.136:8888"), ap("91.108.4.195:8888"), ap("91.108.4.204:8888")}) {
		t.Errorf("DC 4 = %v (file order)", got)
	}
	if got := c.Targets[-2]; !slices.Equal(got, []netip.AddrPort{ap("149.154.162.38:80")}) {
		t.Errorf("DC -2 = %v", got)
	}
	if err := c.Validate(nil); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseSampleV6(t *testing.T) {
	b, err := os.ReadFile("testdata/getProxyConfigV6")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.AddrPort{ap("[2001:67c:4e8:f002::d]:80"), ap("[2001:67c:4e8:f002::e]:80")}
	if !slices.Equal(c.Targets[2], want) || c.Default != 2 || len(c.Targets) != 10 {
		t.Errorf("v6 config: %+v", c)
	}
	if !c.Targets[1][0].Addr().Is6() {
		t.Error("not IPv6")
	}
}

func TestParseGrammar(t *testing.T) {
	src := "  # leading comment\n" +
		"timeout 500 ;min_connections 2;\tmax_connections\r\n 3 ; # trailing\n" +
		"default\n-2\n;\n" +
		"proxy_for -2\n [2001:db8::1] : 443 ; proxy_for\t-2 1.2.3.4:80;#x;\n" +
		"proxy 5.6.7.8:1;" + // legacy form: DC 0
		"proxy_for 0 9.9.9.9:65535;" + // continues DC 0
		"default 1; default -2;" // the last default wins
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Default: -2,
		Targets: map[int][]netip.AddrPort{
			-2: {ap("[2001:db8::1]:443"), ap("1.2.3.4:80")},
			0:  {ap("5.6.7.8:1"), ap("9.9.9.9:65535")},
		},
		Timeout:        500 * time.Millisecond,
		MinConnections: 2,
		MaxConnections: 3,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	for _, empty := range []string{"", " \n\t", "# only a comment", "#x\n#y"} {
		c, err := Parse([]byte(empty))
		if err != nil || len(c.Targets) != 0 {
			t.Errorf("%q: %v, %v", empty, c, err)
		}
		if err := c.Validate(nil); !errors.Is(err, ErrEmpty) {
			t.Errorf("%q: Validate = %v", empty, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src       string
		err       error
		line, col int
	}{
		{"proxy_for 1 1.2.3.4:80", ErrSyntax, 1, 23},                   // missing ';' at EOF
		{"proxy_for 1 1.2.3.4:80;\nfoo 1;", ErrUnknownStatement, 2, 1}, // unknown statement
		{"proxy_for 1 1.2.3.4:80;\nproxy_forx 1 1.2.3.4:1;", ErrUnknownStatement, 2, 1},
		{"proxy_for 1 a:1;\n", ErrHostname, 1, 13},
		{"proxy_for 1 example.com:443;", ErrHostname, 1, 13}, // host names are not resolved
		{"proxy_for 1 1.2.3.4:80;proxy_for 2 1.2.3.4:80;\nproxy_for 1 5.6.7.8:1;", ErrIntermixed, 2, 11},
		{"proxy_for 32768 1.2.3.4:80;", ErrOutOfRange, 1, 11},
		{"proxy_for -32769 1.2.3.4:80;", ErrOutOfRange, 1, 11},
		{"proxy_for 1 1.2.3.4:0;", ErrOutOfRange, 1, 21},
		{"proxy_for 1 1.2.3.4:65536;", ErrOutOfRange, 1, 21},
		{"proxy_for 1 1.2.3.4;", ErrSyntax, 1, 20},
		{"proxy_for 1 1.2.3.4:;", ErrSyntax, 1, 21},
		{"proxy_for 1 2001:db8::1:80;", ErrSyntax, 1, 13}, // IPv6 without brackets
		{"proxy_for 1 [2001:db8::1:80;", ErrSyntax, 1, 13},
		{"proxy_for 1 [1.2.3.4]:80;", ErrSyntax, 1, 13},
		{"proxy_for 1 [fe80::1%eth0]:80;", ErrSyntax, 1, 13},
		{"proxy_for 1 1.2.3.256:80;", ErrSyntax, 1, 13},
		{"proxy_for x 1.2.3.4:80;", ErrSyntax, 1, 11},
		{"proxy_for +1 1.2.3.4:80;", ErrSyntax, 1, 11},
		{"proxy_for 1 1.2.3.4:80:81;", ErrSyntax, 1, 23},
		{"default 99999999999999999999999;", ErrOutOfRange, 1, 9},
		{"default;", ErrSyntax, 1, 8},
		{"timeout 9;", ErrOutOfRange, 1, 9},
		{"timeout 30001;", ErrOutOfRange, 1, 9},
		{"min_connections 0;", ErrOutOfRange, 1, 17},
		{"max_connections 1001;", ErrOutOfRange, 1, 17},
		{"min_connections 5;\nmax_connections 4;", ErrOutOfRange, 2, 17},
		{"max_connections 4;\nmin_connections 5;", ErrOutOfRange, 2, 17},
		{";", ErrSyntax, 1, 1},
		{"proxy_for 1 1.2.3.4:80;;", ErrSyntax, 1, 24},
		{"proxy_for 1 1.2.3.4:80; é", ErrSyntax, 1, 25},
		{"\n\n  default 2 3;", ErrSyntax, 3, 13},
		{"{ proxy_for 1 1.2.3.4:80; }", ErrSyntax, 1, 1},
	} {
		_, err := Parse([]byte(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, tc.err) || se.Line != tc.line || se.Col != tc.col {
			t.Errorf("%q: %v; want %v at %d:%d", tc.src, err, tc.err, tc.line, tc.col)
			continue
		}
		if !strings.HasPrefix(err.Error(), "tgconfig: line ") {
			t.Errorf("%q: message %q", tc.src, err)
		}
	}
	if _, err := Parse(make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
}

func TestMarshalTextRoundTrip(t *testing.T) {
	for _, name := range []string{"testdata/getProxyConfig", "testdata/getProxyConfigV6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		c.Timeout, c.MinConnections, c.MaxConnections = 250*time.Millisecond, 2, 8
		text, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(text)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Errorf("%s: round trip: %v\n%s", name, err, text)
		}
	}
}
