package config

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	const good = "5ec7e75ec7e75ec7e75ec7e75ec7e7aa" // not the examples' secret
	var list []string
	for i := 0; i < 17; i++ {
		list = append(list, good[:30]+string(rune('a'+i/10))+string(rune('0'+i%10)))
	}
	seventeen := strings.Join(list, ",")
	cases := []struct {
		name     string
		vars     map[string]string
		args     []string
		names    string // what the message must name
		sentinel error
		hidden   []string // must not appear
	}{
		{"short secret", map[string]string{"SECRET": "abc"}, nil, "SECRET", ErrInvalid, []string{"abc"}},
		{"non-hex secret", map[string]string{"SECRET": good[:31] + "g"}, nil, "SECRET", ErrInvalid, []string{good[:31]}},
		{"long secret", map[string]string{"SECRET": good + "00"}, nil, "SECRET", ErrInvalid, []string{good}},
		{"second secret bad", map[string]string{"SECRET": good + ",12345"}, nil, "SECRET", ErrInvalid, []string{good, "12345"}},
		{"ee secret", map[string]string{"SECRET": "ee" + good + "6578616d706c652e636f6d"}, nil, "TLS_DOMAIN", ErrInvalid, []string{good}},
		{"17 secrets", map[string]string{"SECRET": seventeen}, nil, "SECRET", ErrInvalid, list},
		{"repeated secret", map[string]string{"SECRET": good + "," + strings.ToUpper(good)}, nil, "SECRET", ErrInvalid, []string{good}},
		{"bad -S", nil, []string{"-S", "xyz"}, "-S (SECRET)", ErrInvalid, []string{"xyz"}},
		{"SECRET_COUNT=0", map[string]string{"SECRET_COUNT": "0"}, nil, "SECRET_COUNT", ErrInvalid, nil},
		{"SECRET_COUNT=17", map[string]string{"SECRET_COUNT": "17"}, nil, "SECRET_COUNT", ErrInvalid, nil},
		{"PORT=0", map[string]string{"PORT": "0"}, nil, "PORT", ErrInvalid, nil},
		{"PORT=70000", map[string]string{"PORT": "70000"}, nil, "PORT", ErrInvalid, nil},
		{"PORT=abc", map[string]string{"PORT": "abc"}, nil, "PORT", ErrInvalid, nil},
		{"--port=abc", nil, []string{"--port=abc"}, "--port (PORT)", ErrInvalid, nil},
		{"-H 0", nil, []string{"-H", "0"}, "-H (PORT)", ErrInvalid, nil},
		{"-H two ports", nil, []string{"-H", "443,444"}, "-H (PORT)", ErrInvalid, nil},
		{"INTERNAL_PORT=65536", map[string]string{"INTERNAL_PORT": "65536"}, nil, "INTERNAL_PORT", ErrInvalid, nil},
		{"-p range", nil, []string{"-p", "8888:8890"}, "-p (INTERNAL_PORT)", ErrInvalid, nil},
		{"PORT == INTERNAL_PORT", map[string]string{"PORT": "2398"}, nil, "INTERNAL_PORT", ErrConflict, nil},
		{"DC_ADDRS bad id", map[string]string{"DC_ADDRS": "x=127.0.0.1:443"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS id 0", map[string]string{"DC_ADDRS": "0=127.0.0.1:443"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS no =", map[string]string{"DC_ADDRS": "127.0.0.1:443"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS bad address", map[string]string{"DC_ADDRS": "2=300.0.0.1:443"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS missing port", map[string]string{"DC_ADDRS": "2=127.0.0.1"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS port 0", map[string]string{"DC_ADDRS": "2=127.0.0.1:0"}, nil, "DC_ADDRS", ErrInvalid, nil},
		{"DC_ADDRS host name", map[string]string{"DC_ADDRS": "2=dc2.example.com:443"}, nil, "host name", ErrInvalid, nil},
		{"TLS_DOMAIN with space", map[string]string{"TLS_DOMAIN": "www example.com"}, nil, "TLS_DOMAIN", ErrInvalid, nil},
		{"TLS_DOMAIN is an IP", map[string]string{"TLS_DOMAIN": "1.2.3.4"}, nil, "TLS_DOMAIN", ErrInvalid, nil},
		{"TLS_DOMAIN label too long", map[string]string{"TLS_DOMAIN": strings.Repeat("a", 64) + ".com"}, nil, "TLS_DOMAIN", ErrInvalid, nil},
		{"TLS_DOMAIN leading dash", map[string]string{"TLS_DOMAIN": "-a.com"}, nil, "TLS_DOMAIN", ErrInvalid, nil},
		{"-D twice", nil, []string{"-D", "a.com", "-D", "b.com"}, "-D (TLS_DOMAIN)", ErrInvalid, nil},
		{"unknown MODE", map[string]string{"MODE": "fast"}, nil, "MODE", ErrInvalid, nil},
		{"MIDDLE_MEMORY_BUDGET_MIB=0", map[string]string{"MIDDLE_MEMORY_BUDGET_MIB": "0"}, nil, "MIDDLE_MEMORY_BUDGET_MIB", ErrInvalid, nil},
		{"bad REPLAY_UPTIME_TIMESTAMPS", map[string]string{"REPLAY_UPTIME_TIMESTAMPS": "sometimes"}, nil, "REPLAY_UPTIME_TIMESTAMPS", ErrInvalid, nil},
		{"bad PREFER_IP", map[string]string{"PREFER_IP": "ipv6"}, nil, "PREFER_IP", ErrInvalid, nil},
		{"bad duration", map[string]string{"DIAL_TIMEOUT": "10 seconds"}, nil, "DIAL_TIMEOUT", ErrInvalid, nil},
		{"zero duration", map[string]string{"IDLE_TIMEOUT": "0s"}, nil, "IDLE_TIMEOUT", ErrInvalid, nil},
		{"negative duration", map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, nil, "SHUTDOWN_TIMEOUT", ErrInvalid, nil},
		{"STATE_URL scheme", map[string]string{"STATE_URL": "http://u:pw-0f1e@valkey:6379"}, nil, "STATE_URL", ErrInvalid, []string{"pw-0f1e"}},
		{"STATE_URL db", map[string]string{"STATE_URL": "redis://u:pw-0f1e@valkey:6379/db"}, nil, "STATE_URL", ErrInvalid, []string{"pw-0f1e"}},
		{"STATE_URL prefix", map[string]string{"STATE_URL": "redis://:pw-0f1e@valkey?prefix=a%20b"}, nil, "STATE_URL", ErrInvalid, []string{"pw-0f1e"}},
		{"--state-url", nil, []string{"--state-url", "redis://:pw-0f1e@valkey:bad"}, "--state-url (STATE_URL)", ErrInvalid, []string{"pw-0f1e"}},
		{"bad duration flag", nil, []string{"--time-skew", "soon"}, "--time-skew (TIME_SKEW)", ErrInvalid, nil},
		{"bad CIDR", map[string]string{"STATS_ALLOW": "10.0.0.0/33"}, nil, "STATS_ALLOW", ErrInvalid, nil},
		{"bad CIDR list item", map[string]string{"METRICS_ALLOW": "10.0.0.0/8,localnet"}, nil, "METRICS_ALLOW", ErrInvalid, nil},
		{"unknown flag", nil, []string{"--frobnicate"}, "-frobnicate", ErrUsage, nil},
		{"unknown flag in ARGS", map[string]string{"ARGS": "-x 1"}, nil, "ARGS", ErrUsage, nil},
		{"flag without value", nil, []string{"-S"}, "-S (SECRET)", ErrUsage, nil},
		{"two positional", nil, []string{"a.conf", "b.conf"}, "command line", ErrUsage, nil},
		{"bool flag value apart", map[string]string{"TLS_DOMAIN": "a.com"}, []string{"--tls-only", "false"}, "--tls-only", ErrUsage, nil},
		{"TLS_ONLY without TLS_DOMAIN", map[string]string{"TLS_ONLY": "true"}, nil, "TLS_ONLY", ErrConflict, nil},
		{"bad bool", map[string]string{"DEBUG": "maybe"}, nil, "DEBUG", ErrInvalid, nil},
		{"WORKERS=0", map[string]string{"WORKERS": "0"}, nil, "WORKERS", ErrInvalid, nil},
		{"-M -1", nil, []string{"-M", "-1"}, "-M (WORKERS)", ErrInvalid, nil},
		{"bad IP", map[string]string{"IP": "1.2.3"}, nil, "IP", ErrInvalid, nil},
		{"unspecified IP", map[string]string{"IP": "0.0.0.0"}, nil, "IP", ErrInvalid, nil},
		{"bad NAT_INFO", map[string]string{"NAT_INFO": "10.0.0.1"}, nil, "NAT_INFO", ErrInvalid, nil},
		{"NAT_INFO disagrees with IP", map[string]string{"NAT_INFO": "10.0.0.1:1.2.3.4", "IP": "1.2.3.5"}, nil, "NAT_INFO", ErrConflict, nil},
		{"bad FRONTING_ADDR", map[string]string{"FRONTING_ADDR": "example.com"}, nil, "FRONTING_ADDR", ErrInvalid, nil},
		{"bad URL", map[string]string{"PROXY_SECRET_URL": "ftp://x/y"}, nil, "PROXY_SECRET_URL", ErrInvalid, nil},
		{"bad IP_DETECT_URLS", map[string]string{"IP_DETECT_URLS": "api.ipify.org"}, nil, "IP_DETECT_URLS", ErrInvalid, nil},
		{"bad NTP server", map[string]string{"NTP_SERVERS": "pool ntp"}, nil, "NTP_SERVERS", ErrInvalid, nil},
		{"bad LOG_FORMAT", map[string]string{"LOG_FORMAT": "xml"}, nil, "LOG_FORMAT", ErrInvalid, nil},
		{"bad LOG_LEVEL", map[string]string{"LOG_LEVEL": "trace"}, nil, "LOG_LEVEL", ErrInvalid, nil},
		{"bad name", map[string]string{"SECRET_NAMES": "Alice"}, nil, "SECRET_NAMES", ErrInvalid, nil},
		{"more names than secrets", map[string]string{"SECRET_NAMES": "a,b"}, nil, "SECRET_NAMES", ErrConflict, nil},
		{"repeated name", map[string]string{"SECRET": good + ",11111111111111111111111111111111", "SECRET_NAMES": "a,a"}, nil, "SECRET_NAMES", ErrInvalid, nil},
		{"bad UNKNOWN_SNI", map[string]string{"UNKNOWN_SNI": "alert"}, nil, "UNKNOWN_SNI", ErrInvalid, nil},
		{"bad FRONTING_PROXY_PROTOCOL", map[string]string{"FRONTING_PROXY_PROTOCOL": "v3"}, nil, "FRONTING_PROXY_PROTOCOL", ErrInvalid, nil},
		{"MAX_UNAUTH_PER_IP above the total", map[string]string{"MAX_UNAUTH_CONNECTIONS": "10", "MAX_UNAUTH_PER_IP": "11"}, nil, "MAX_UNAUTH_PER_IP", ErrConflict, nil},
		{"TLS_RECORD_INITIAL too large", map[string]string{"TLS_RECORD_INITIAL": "20000"}, nil, "TLS_RECORD_INITIAL", ErrInvalid, nil},
		{"bad PROXY_PROTOCOL_TRUSTED", map[string]string{"PROXY_PROTOCOL_TRUSTED": "lb.local"}, nil, "PROXY_PROTOCOL_TRUSTED", ErrInvalid, nil},
		{"MAX_CONNECTIONS=0", map[string]string{"MAX_CONNECTIONS": "0"}, nil, "MAX_CONNECTIONS", ErrInvalid, nil},
		{"unterminated quote in ARGS", map[string]string{"ARGS": `--tls-domain "example.com`}, nil, "ARGS", ErrUsage, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, tc.vars, tc.args, tc.names, tc.sentinel, tc.hidden...)
		})
	}
}

func TestSeventeenSecretsByFlags(t *testing.T) {
	var args []string
	for i := 0; i < 17; i++ {
		args = append(args, "-S", strings.Repeat("0", 30)+string("0123456789abcdefg"[i])+"1")
	}
	mustFail(t, nil, args, "-S (SECRET)", ErrInvalid)
	mustFail(t, nil, args[:len(args)-1], "-S (SECRET)", ErrUsage) // the last -S has no value
	if _, _, err := load(t, nil, args[:32]...); err != nil {
		t.Errorf("16 secrets: %v", err)
	}
}

func TestErrorMessageShape(t *testing.T) {
	e := mustFail(t, map[string]string{"SECRET": "abc"}, nil, "SECRET", ErrInvalid)
	const want = "SECRET: secret 1 is 3 characters long, not 32 hex characters (example: SECRET=00baadf00d15abad1deaa515baadcafe)"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	e = mustFail(t, nil, []string{"--port", "70000"}, "PORT", ErrInvalid)
	const wantFlag = `--port (PORT): "70000" is not a port number (1-65535) (example: --port=443)`
	if e.Error() != wantFlag {
		t.Errorf("got  %q\nwant %q", e.Error(), wantFlag)
	}
	e = mustFail(t, nil, []string{"-H", "x"}, "PORT", ErrInvalid)
	if !strings.HasSuffix(e.Error(), "(example: -H 443)") {
		t.Errorf("short flag example: %q", e.Error())
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		_, _, err := load(t, nil, arg)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: error %v, want flag.ErrHelp", arg, err)
		}
	}
	u := Usage()
	for _, want := range []string{"SECRET", "--tls-domain", "-H", "--aes-pwd", "(default 443)"} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage lacks %q", want)
		}
	}
}
