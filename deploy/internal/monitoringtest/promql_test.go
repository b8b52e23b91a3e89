package monitoringtest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promParser parses PromQL as Prometheus does by default.
var promParser = parser.NewParser(parser.Options{})

// Synthetic series Prometheus adds to every target; rules may use them.
var scrapeSeries = map[string]bool{"up": true}

// selectorsOf returns every vector selector of e, those inside range
// selectors and subqueries included.
func selectorsOf(e parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

// rangesOf returns the window of every range selector and subquery of e.
func rangesOf(e parser.Expr) []time.Duration {
	var out []time.Duration
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch x := n.(type) {
		case *parser.MatrixSelector:
			out = append(out, x.Range)
		case *parser.SubqueryExpr:
			out = append(out, x.Range)
		}
		return nil
	})
	return out
}

// selectorName is the metric name a selector selects by equality.
func selectorName(vs *parser.VectorSelector) (string, bool) {
	if vs.Name != "" {
		return vs.Name, true
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value, true
		}
	}
	return "", false
}

// checkSelectors reports, one line each, the selectors of e that select
// no series of the registry: an unknown metric name, or label matchers no
// series satisfies (a typo in a label name or value). Names in extra
// (recording rules, up) are accepted without a look at their labels.
func checkSelectors(r *registry, e parser.Expr, extra map[string]bool) []string {
	var problems []string
	for _, vs := range selectorsOf(e) {
		name, ok := selectorName(vs)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: selects no metric by name", vs))
		case extra[name]:
		case !r.has(name):
			problems = append(problems, fmt.Sprintf("%s: metric %s is not in the proxy's registry", vs, name))
		case !r.matches(name, vs.LabelMatchers):
			problems = append(problems, fmt.Sprintf("%s: no series of %s has these labels", vs, name))
		}
	}
	return problems
}

// The dashboards' Grafana variables. $__rate_interval is the only range;
// the others are label values used in regular-expression matchers.
const rateIntervalVar = "__rate_interval"

var (
	grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)
	// matcherWithVar is a label matcher whose value uses a variable.
	matcherWithVar = regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)\s*"([^"]*\$[^"]*)"`)
)

// substitute replaces the Grafana variables of expr by values[name]; an
// unknown variable is an error.
func substitute(expr string, values map[string]string) (string, error) {
	var unknown []string
	out := grafanaVar.ReplaceAllStringFunc(expr, func(ref string) string {
		m := grafanaVar.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := values[name]
		if !ok {
			unknown = append(unknown, ref)
			return ref
		}
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("unknown Grafana variables %v", unknown)
	}
	return out, nil
}

// checkVariableUse reports variables used anywhere but where a multi-value
// variable works: inside a regular-expression matcher (=~, !~), or
// $__rate_interval as a range.
func checkVariableUse(expr string) []string {
	var problems []string
	rest := matcherWithVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := matcherWithVar.FindStringSubmatch(m)
		if sub[2] != "=~" && sub[2] != "!~" {
			problems = append(problems, fmt.Sprintf("%s: variables need a regular-expression matcher (=~)", m))
		}
		return ""
	})
	rest = strings.ReplaceAll(rest, "[$"+rateIntervalVar+"]", "")
	rest = strings.ReplaceAll(rest, "[${"+rateIntervalVar+"}]", "")
	if strings.Contains(rest, "$") {
		problems = append(problems, fmt.Sprintf("%q: a variable outside a label matcher or range", expr))
	}
	return problems
}

func TestSubstituteAndVariableUse(t *testing.T) {
	got, err := substitute(`rate(x{job=~"$job", i=~"${instance:regex}"}[$__rate_interval])`,
		map[string]string{"job": "a", "instance": "b", rateIntervalVar: "1m"})
	if err != nil || got != `rate(x{job=~"a", i=~"b"}[1m])` {
		t.Fatalf("substitute: %q, %v", got, err)
	}
	if _, err := substitute(`x{a=~"$nope"}`, map[string]string{}); err == nil {
		t.Fatal("unknown variable accepted")
	}
	if p := checkVariableUse(`rate(x{job=~"$job"}[$__rate_interval])`); len(p) != 0 {
		t.Fatalf("good query refused: %v", p)
	}
	for _, bad := range []string{`x{job="$job"}`, `rate(x[$__interval])`, `x > $threshold`} {
		if len(checkVariableUse(bad)) == 0 {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckSelectorsCatchesMistakes(t *testing.T) {
	r := newRegistry(t)
	for expr, bad := range map[string]bool{
		`sum(rate(mtproxy_client_handshakes_total{result="replay"}[5m]))`:                  false,
		`histogram_quantile(0.9, rate(mtproxy_upstream_dial_duration_seconds_bucket[5m]))`: false,
		`rate(mtproxy_client_handshake_total[5m])`:                                         true, // name typo
		`mtproxy_client_handshakes_total{result="replayed"}`:                               true, // value typo
		`mtproxy_nat_state{stat="mismatch"}`:                                               true, // label typo
		`{__name__=~"mtproxy_.+"}`:                                                         true,
	} {
		e, err := promParser.ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(checkSelectors(r, e, nil)) > 0; got != bad {
			t.Errorf("%s: problems reported %v, want %v", expr, got, bad)
		}
	}
}
