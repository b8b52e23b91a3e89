package e2e

import (
	"strings"
	"testing"
)

// A fronting address that is the proxy itself would turn one probe into a
// chain of connections to itself: the proxy refuses to start, with one
// line naming the setting, before anything listens.
func TestSelfFrontingRefusedAtStart(t *testing.T) {
	cases := []struct {
		name    string
		set     func(env map[string]string)
		mention string
	}{
		{"FRONTING_ADDR on our port", func(env map[string]string) {
			env["FRONTING_ADDR"] = "127.0.0.1:" + env["PORT"]
		}, "[F] FRONTING_ADDR: 127.0.0.1:"},
		{"FRONTING_ADDR on our external address", func(env map[string]string) {
			env["IP"] = "203.0.113.7"
			env["FRONTING_ADDR"] = "203.0.113.7:" + env["PORT"]
		}, "[F] FRONTING_ADDR: 203.0.113.7:"},
		{"TLS_DOMAIN resolving to us", func(env map[string]string) {
			env["PORT"] = "443" // TLS_DOMAIN is fronted on 443; the check comes before any listener
			env["TLS_DOMAIN"] = "localhost"
		}, "[F] TLS_DOMAIN: localhost resolves to this proxy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := baseEnv(t)
			env["TLS_DOMAIN"] = "front.example.com"
			c.set(env)
			code, stdout, stderr := runOnce(t, env)
			var fatal string
			for _, l := range lines(stderr) {
				if strings.HasPrefix(l, "[F]") {
					fatal = l
				}
			}
			if code != 2 || !strings.HasPrefix(fatal, c.mention) || !strings.Contains(fatal, "loop") || !strings.Contains(fatal, "example: FRONTING_ADDR=") {
				t.Fatalf("exit %d, fatal line %q, want %q...", code, fatal, c.mention)
			}
			if strings.Contains(stdout, "Final configuration") {
				t.Fatal("printed a configuration despite the loop")
			}
		})
	}
}
