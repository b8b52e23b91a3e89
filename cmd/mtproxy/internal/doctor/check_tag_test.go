package doctor

import (
	"context"
	"strings"
	"testing"
)

const testTag = "3f40462915a3e6026a4d790127b95ded"

func TestCheckTag(t *testing.T) {
	cases := []struct {
		name      string
		tag, mode string
		st        Status
		fragment  string
	}{
		{"none", "", "", Skip, "no TAG: no sponsored channel"},
		{"none middle", "", "middle", Skip, "no TAG (MODE=middle)"},
		{"auto", testTag, "", OK, "MODE=auto: not for the clients it serves directly"},
		{"middle", testTag, "middle", OK, "sent with every client packet"},
		{"direct", testTag, "direct", Warn, "MODE=direct: the tag is only sent through the middle proxies"},
		{"malformed", "xyz", "", Warn, "TAG is malformed and ignored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["TAG"], e["MODE"] = c.tag, c.mode
			s := newTestSession(t, e, testOptions(t))
			r := s.checkTag(context.Background())
			want(t, r, c.st, c.fragment)
			if strings.Contains(r.Detail+strings.Join(r.Notes, ""), testTag) {
				t.Errorf("the tag is printed: %+v", r)
			}
			if c.name == "malformed" {
				// Reported by the tag check alone.
				if n := s.checkConfig(context.Background()).Notes; len(n) != 0 {
					t.Errorf("config check repeats it: %q", n)
				}
			}
		})
	}
}
