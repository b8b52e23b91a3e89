package wire

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// The reference's test vectors, for host proxy.example.com.
func TestCapabilityVectors(t *testing.T) {
	const host = "proxy.example.com"
	cases := []struct {
		name, secret, path, want string
	}{
		{"v1 plain", "000102030405060708090a0b0c0d0e0f", "", "MHLEY5PmW1GWqJkSrlmJpvJUiLhBH_QKy6yKg8a0JPk"},
		{"v1 dd", "dd000102030405060708090a0b0c0d0e0f", "", "IpJrt3e7sKtzPyoXy6w-Zj6GGEvsvclN66JzQEfPYLA"},
		{"v2 plain", "000102030405060708090a0b0c0d0e0f", "dobry-cola-super-app", "hHz99Xs93EN1j91G9gpNepXwGNNt5YdAFkEVk_LlqdQ"},
		{"v2 dd", "dd000102030405060708090a0b0c0d0e0f", "dobry-cola-super-app", "TGUkZaevsavLbHvlNWipnRoYxgzZ51ioWvbxgGT3wHo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := hex.DecodeString(c.secret)
			if err != nil {
				t.Fatal(err)
			}
			if got := Capability(s, host, c.path); got != c.want {
				t.Errorf("Capability = %s, want %s", got, c.want)
			}
			sum, ok := DecodeCapability(c.want)
			if !ok {
				t.Fatal("the vector does not decode")
			}
			var mine [32]byte
			CapabilitySum(&mine, s, host, c.path)
			if sum != mine {
				t.Error("CapabilitySum differs from the decoded vector")
			}
		})
	}
	key := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	if got := Capability(SecretBytes(key, DD), host, ""); got != cases[1].want {
		t.Errorf("SecretBytes(DD) gives %s", got)
	}
}

func TestDecodeCapabilityRefusesNonCanonical(t *testing.T) {
	good := "MHLEY5PmW1GWqJkSrlmJpvJUiLhBH_QKy6yKg8a0JPk"
	for _, s := range []string{
		"", good[:42], good + "A", good + "=",
		strings.Replace(good, "_", "/", 1), // std alphabet
		good[:42] + "l",                    // last char with non-zero padding bits
		strings.Replace(good, "M", "%", 1), // not base64
	} {
		if _, ok := DecodeCapability(s); ok {
			t.Errorf("DecodeCapability(%q) accepted", s)
		}
	}
}

func TestLinks(t *testing.T) {
	key := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	cases := []struct {
		path string
		form Form
		tg   string
	}{
		{"", Plain, "tg://webproxy?server=proxy.example.com&secret=000102030405060708090a0b0c0d0e0f"},
		{"", DD, "tg://webproxy?server=proxy.example.com&secret=dd000102030405060708090a0b0c0d0e0f"},
		// base64url(70 00 01 .. 0f) and base64url(70 dd 00 .. 0f), worked out by hand.
		{"dobry-cola-super-app", Plain, "tg://webproxy?server=proxy.example.com%2Fdobry-cola-super-app&secret=cAABAgMEBQYHCAkKCwwNDg8"},
		{"dobry-cola-super-app", DD, "tg://webproxy?server=proxy.example.com%2Fdobry-cola-super-app&secret=cN0AAQIDBAUGBwgJCgsMDQ4P"},
	}
	for _, c := range cases {
		l := Links("proxy.example.com", c.path, key, c.form)
		if l.TG != c.tg {
			t.Errorf("TG = %s, want %s", l.TG, c.tg)
		}
		if want := "https://t.me/webproxy?" + strings.TrimPrefix(c.tg, "tg://webproxy?"); l.TMe != want {
			t.Errorf("TMe = %s, want %s", l.TMe, want)
		}
	}
}

func TestCheckHost(t *testing.T) {
	for _, h := range []string{"proxy.example.com", "a.b", "xn--e1afmkfd.xn--p1ai", "x-1.example.org"} {
		if err := CheckHost(h); err != nil {
			t.Errorf("CheckHost(%q) = %v", h, err)
		}
	}
	for _, h := range []string{
		"", "localhost", "Proxy.example.com", "proxy.example.com.", "proxy.example.com:443",
		"203.0.113.7", "[2001:db8::1]", "2001:db8::1", "-a.example.com", "a-.example.com",
		"a..example.com", "ex ample.com", "пример.рф", "a.123", strings.Repeat("a", 64) + ".com",
		"a_b.example.com",
	} {
		if err := CheckHost(h); !errors.Is(err, ErrBadHost) {
			t.Errorf("CheckHost(%q) = %v, want ErrBadHost", h, err)
		}
	}
}

func TestCheckBasePath(t *testing.T) {
	for _, p := range []string{"dobry-cola-super-app", "a/b", "A.b_c~d"} {
		if err := CheckBasePath(p); err != nil {
			t.Errorf("CheckBasePath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "/a", "a/", "a//b", ".", "a/../b", "a b", "a?b", "a%20b", strings.Repeat("a", 201)} {
		if err := CheckBasePath(p); !errors.Is(err, ErrBadBasePath) {
			t.Errorf("CheckBasePath(%q) = %v, want ErrBadBasePath", p, err)
		}
	}
}
