package secret

import (
	"errors"
	"strings"
	"testing"
)

const key = "00112233445566778899aabbccddeeff"

func TestParse(t *testing.T) {
	want := [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	for _, c := range []struct {
		in     string
		kind   Kind
		domain string
	}{
		{key, Classic, ""},
		{strings.ToUpper(key), Classic, ""},
		{" dd" + key + "\n", Padded, ""},
		// "example.com" = 6578616d706c652e636f6d
		{"ee" + key + "6578616d706c652e636f6d", FakeTLS, "example.com"},
		{"EE" + strings.ToUpper(key) + "6578616D706C652E636F6D", FakeTLS, "example.com"},
	} {
		s, err := Parse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if s.Kind != c.kind || s.Key != want || s.Domain != c.domain {
			t.Errorf("%q: got %+v", c.in, s)
		}
		if got := s.String(); got != strings.ToLower(strings.TrimSpace(c.in)) {
			t.Errorf("%q: String() = %q", c.in, got)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"",
		key[:31],
		key + "0",
		"dd" + key[:31],                        // 33 digits
		"ee" + key,                             // FakeTLS without a domain
		"ee" + key + "6",                       // odd hex
		"ee" + key + "2f6574632f",              // "/etc/" is not a host name
		"ff" + key + "00",                      // unknown prefix
		"zz" + key[2:],                         // not hex
		"dd" + "g" + key[1:],                   // not hex after dd
		"ee" + key + strings.Repeat("61", 254), // domain too long
	} {
		_, err := Parse(in)
		if !errors.Is(err, ErrSecret) {
			t.Errorf("%q: err = %v, want ErrSecret", in, err)
			continue
		}
		if len(in) >= 8 && strings.Contains(err.Error(), in[2:10]) {
			t.Errorf("%q: error leaks the secret: %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(key)
	f.Add("dd" + key)
	f.Add("ee" + key + "6578616d706c652e636f6d")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		// Round trip: what parsed prints back to an equal secret.
		again, err := Parse(s.String())
		if err != nil || again != s {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", in, s, s.String(), again, err)
		}
	})
}

func TestParseList(t *testing.T) {
	in := "# users\n\nee000102030405060708090a0b0c0d0e0f6578616d706c652e636f6d\n" +
		"  EE0f0e0d0c0b0a09080706050403020100" + "6578616d706c652e636f6d  \n"
	got, err := ParseList(strings.NewReader(in))
	if err != nil || len(got) != 2 || got[1].Key[0] != 0x0f || got[0].Domain != "example.com" || got[1].Kind != FakeTLS {
		t.Fatalf("%+v, %v", got, err)
	}
	for name, in := range map[string]string{
		"empty":          "# nothing\n\n",
		"mixed kinds":    "000102030405060708090a0b0c0d0e0f\ndd000102030405060708090a0b0c0d0e0f\n",
		"mixed domains":  "ee000102030405060708090a0b0c0d0e0f6162\nee000102030405060708090a0b0c0d0e0f6163\n",
		"a bad line":     "000102030405060708090a0b0c0d0e0f\nnot-a-secret\n",
		"a short secret": "000102030405060708090a0b0c0d0e\n",
	} {
		_, err := ParseList(strings.NewReader(in))
		if !errors.Is(err, ErrList) && !errors.Is(err, ErrSecret) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "0102030405") {
			t.Errorf("%s: the error shows a secret: %v", name, err)
		}
	}
	if _, err := ParseList(strings.NewReader("000102030405060708090a0b0c0d0e0f\nnope\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("the error does not name the line: %v", err)
	}
}
