package config

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestOfficialFlags(t *testing.T) {
	const s1, s2, tag = "00baadf00d15abad1deaa515baadcafe", "3f40462915a3e6026a4d790127b95ded", "0123456789abcdef0123456789abcdef"
	// The seed's command line, then the other official options.
	c, w := mustLoad(t, nil,
		"-u", "root", "-p", "8888", "-H", "8443", "-M", "0", "-C", "1000",
		"--aes-pwd", "/etc/ps", "--allow-skip-dh", "--nat-info", "10.0.0.5:203.0.113.7",
		"-S", s1, "-S", s2, "-P", tag, "-D", "www.example.com", "--http-stats", "--address", "127.0.0.1",
		"/etc/proxy.conf")
	got := []any{c.InternalPort, c.Port, c.Workers, c.MaxConnections, c.ProxySecretFile, c.InternalIP, c.IP,
		len(c.Secrets), c.HasTag, c.Mode, c.TLSDomain, c.Bind, c.ProxyConfigFile}
	want := []any{8888, 8443, 1, 1000, "/etc/ps", netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("203.0.113.7"),
		2, true, ModeAuto, "www.example.com", netip.MustParseAddr("127.0.0.1"), "/etc/proxy.conf"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if !hasWarning(w, "-u: ignored") || !hasWarning(w, "--allow-skip-dh: ignored") || len(w) != 2 {
		t.Errorf("warnings %q", w)
	}
}

func TestOfficialLongFlagsAndGluedValues(t *testing.T) {
	const s1 = "00baadf00d15abad1deaa515baadcafe"
	c, _ := mustLoad(t, nil, "-p8888", "-H8443", "-M4", "-C10", "-S"+s1, "-Dexample.com", "-unobody")
	if c.InternalPort != 8888 || c.Port != 8443 || c.Workers != 4 || c.MaxConnections != 40 || len(c.Secrets) != 1 || c.TLSDomain != "example.com" {
		t.Errorf("glued: %+v", c)
	}
	c, _ = mustLoad(t, nil, "--mtproto-secret", s1, "--proxy-tag", s1, "--http-ports", "8443", "--slaves", "3",
		"--max-special-connections", "5", "--domain", "example.org", "--user", "x")
	if c.Port != 8443 || c.Workers != 3 || c.MaxConnections != 15 || !c.HasTag || c.TLSDomain != "example.org" {
		t.Errorf("long: %+v", c)
	}
	// Not split: -port and -ip are flags of their own.
	c, _ = mustLoad(t, nil, "-port", "1443", "-ip", "192.0.2.1")
	if c.Port != 1443 || c.IP != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("single-dash long flags: %d %s", c.Port, c.IP)
	}
}

func TestPositionalAnywhere(t *testing.T) {
	c, _ := mustLoad(t, nil, "/a.conf", "--port", "1443")
	if c.ProxyConfigFile != "/a.conf" || c.Port != 1443 {
		t.Errorf("positional first: %q %d", c.ProxyConfigFile, c.Port)
	}
	c, _ = mustLoad(t, nil, "--port", "1443", "--", "-weird.conf")
	if c.ProxyConfigFile != "-weird.conf" {
		t.Errorf("after --: %q", c.ProxyConfigFile)
	}
	c, _ = mustLoad(t, map[string]string{"PROXY_CONFIG_FILE": "/env.conf", "ARGS": "/args.conf"})
	if c.ProxyConfigFile != "/args.conf" {
		t.Errorf("ARGS positional over env: %q", c.ProxyConfigFile)
	}
}

func TestARGSQuoting(t *testing.T) {
	c, _ := mustLoad(t, map[string]string{
		"ARGS": `--tls-domain 'www.example.com' --secret-names "alice,bob" --ntp-servers=" time.google.com , pool.ntp.org" -S 00baadf00d15abad1deaa515baadcafe -S 3f40462915a3e6026a4d790127b95ded`,
	})
	if c.TLSDomain != "www.example.com" || c.Secrets[1].Name != "bob" || !reflect.DeepEqual(c.NTPServers, []string{"time.google.com", "pool.ntp.org"}) {
		t.Errorf("got %q %+v %q", c.TLSDomain, c.Secrets, c.NTPServers)
	}
}
