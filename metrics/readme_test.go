package metrics

import (
	"github.com/mtproxy/mtproxy/users"

	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// The README's metric table lists exactly the registered mtproxy_ metrics,
// each with its real type and label names.
func TestREADMEListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(mtproxy_[a-z0-9_]+)` \\| ([a-z]+) \\| ?([a-z0-9_, ]*?) ?\\|")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("README lists %s twice", m[1])
		}
		documented[m[1]] = [2]string{m[2], normLabels(m[3])}
	}
	registered := map[string]bool{}
	// With a users registry, so that the users-only series exist too.
	m := New(Options{Secrets: []string{"0"}})
	m.SetUsers(users.New(users.Options{}), 5)
	for name, f := range families(t, m) {
		if !strings.HasPrefix(name, "mtproxy_") {
			continue
		}
		registered[name] = true
		doc, ok := documented[name]
		if !ok {
			t.Errorf("README does not list %s", name)
			continue
		}
		if typ := strings.ToLower(dto.MetricType_name[int32(f.GetType())]); doc[0] != typ {
			t.Errorf("README says %s is a %s, it is a %s", name, doc[0], typ)
		}
		if labels := familyLabels(f); doc[1] != labels {
			t.Errorf("README gives %s the labels %q, it has %q", name, doc[1], labels)
		}
	}
	for name := range documented {
		if !registered[name] {
			t.Errorf("README lists %s, which is not registered", name)
		}
	}
}

func familyLabels(f *dto.MetricFamily) string {
	set := map[string]bool{}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			set[l.GetName()] = true
		}
	}
	var out []string
	for l := range set {
		out = append(out, l)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func normLabels(s string) string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
