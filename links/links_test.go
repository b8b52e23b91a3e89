package links

import (
	"strings"
	"testing"
)

var (
	key1 = [16]byte{0x00, 0xba, 0xad, 0xf0, 0x0d, 0x15, 0xab, 0xad, 0x1d, 0xea, 0xa5, 0x15, 0xba, 0xad, 0xca, 0xfe}
	key2 = [16]byte{0x3f, 0x40, 0x46, 0x29, 0x15, 0xa3, 0xe6, 0x02, 0x6a, 0x4d, 0x79, 0x01, 0x27, 0xb9, 0x5d, 0xed}
)

func TestFor(t *testing.T) {
	// "www.example.com" in hex, computed outside Go: 7777772e6578616d706c652e636f6d.
	got := For("203.0.113.7", 8443, key1, "www.example.com")
	want := []Link{
		{Form: Padded, Secret: "dd00baadf00d15abad1deaa515baadcafe",
			TG:  "tg://proxy?server=203.0.113.7&port=8443&secret=dd00baadf00d15abad1deaa515baadcafe",
			TMe: "https://t.me/proxy?server=203.0.113.7&port=8443&secret=dd00baadf00d15abad1deaa515baadcafe"},
		{Form: FakeTLS, FakeTLS: true, Secret: "ee00baadf00d15abad1deaa515baadcafe7777772e6578616d706c652e636f6d",
			TG:  "tg://proxy?server=203.0.113.7&port=8443&secret=ee00baadf00d15abad1deaa515baadcafe7777772e6578616d706c652e636f6d",
			TMe: "https://t.me/proxy?server=203.0.113.7&port=8443&secret=ee00baadf00d15abad1deaa515baadcafe7777772e6578616d706c652e636f6d"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d links, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("link %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if l := For("", 443, key2, ""); len(l) != 1 || !strings.Contains(l[0].TG, "server="+Placeholder+"&port=443&") {
		t.Errorf("unknown host: %+v", l)
	}
	if l := For("2001:db8::7", 443, key2, ""); l[0].TMe != "https://t.me/proxy?server=2001:db8::7&port=443&secret=dd3f40462915a3e6026a4d790127b95ded" {
		t.Errorf("IPv6 host: %s", l[0].TMe)
	}
	if l := For("a b&c", 443, key2, ""); !strings.Contains(l[0].TG, "server=a+b%26c&port=") {
		t.Errorf("odd host not escaped: %s", l[0].TG)
	}
}

func TestAllHasEveryForm(t *testing.T) {
	got := All("203.0.113.7", 443, key2, "example.com")
	forms := []Form{Plain, Padded, FakeTLS}
	secrets := []string{
		"3f40462915a3e6026a4d790127b95ded",
		"dd3f40462915a3e6026a4d790127b95ded",
		"ee3f40462915a3e6026a4d790127b95ded6578616d706c652e636f6d",
	}
	if len(got) != len(forms) {
		t.Fatalf("got %d links, want %d", len(got), len(forms))
	}
	for i, l := range got {
		if l.Form != forms[i] || l.Secret != secrets[i] || l.TG != "tg://proxy?server=203.0.113.7&port=443&secret="+secrets[i] {
			t.Errorf("link %d = %+v", i, l)
		}
	}
	if n := len(All("h", 1, key2, "")); n != 2 {
		t.Errorf("without a TLS domain: %d links, want plain and dd", n)
	}
}
