package monitoringtest

import (
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// runbookURL is where every alert's runbook_url points: a section of
// docs/runbook.md on the default branch.
const runbookURL = "https://github.com/mtproxy/mtproxy/blob/main/docs/runbook.md"

// severities are the severity labels Alertmanager routes (see
// deploy/alertmanager/alertmanager.yml).
var severities = map[string]bool{"critical": true, "warning": true, "info": true}

// rule is one rule of the shipped rule files, with where it came from.
type rule struct {
	file, group string
	rulefmt.Rule
}

func (r rule) name() string {
	if r.Alert != "" {
		return r.Alert + "{severity=" + r.Labels["severity"] + "}"
	}
	return r.Record
}

// loadRules parses deploy/prometheus/rules/*.rules.yml with Prometheus'
// own rule parser (unknown fields refused, expressions and templates
// checked).
func loadRules(t testing.TB) []rule {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, "deploy", "prometheus", "rules", "*.rules.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	var out []rule
	for _, f := range files {
		groups, errs := rulefmt.ParseFile(f, false, model.LegacyValidation, promParser, slog.New(slog.DiscardHandler))
		for _, err := range errs {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		if groups == nil {
			continue
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				out = append(out, rule{file: filepath.Base(f), group: g.Name, Rule: r})
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// alerts are the alerting rules of rules.
func alerts(rules []rule) []rule {
	var out []rule
	for _, r := range rules {
		if r.Alert != "" {
			out = append(out, r)
		}
	}
	return out
}

// TestRuleExpressions checks every rule's metric names and label matchers
// against the proxy's registry (up and the recording rules' own names
// aside).
func TestRuleExpressions(t *testing.T) {
	r := newRegistry(t)
	rules := loadRules(t)
	extra := map[string]bool{}
	for k := range scrapeSeries {
		extra[k] = true
	}
	for _, x := range rules {
		if x.Record != "" {
			extra[x.Record] = true
		}
	}
	for _, x := range rules {
		e, err := promParser.ParseExpr(x.Expr)
		if err != nil {
			t.Errorf("%s: %s: %v", x.file, x.name(), err)
			continue
		}
		for _, p := range checkSelectors(r, e, extra) {
			t.Errorf("%s: %s: %s", x.file, x.name(), p)
		}
	}
}

// TestAlertsAnnotated: every alert has a routed severity, a summary, a
// description and a runbook_url whose anchor is a section of
// docs/runbook.md named after the alert.
func TestAlertsAnnotated(t *testing.T) {
	sections := runbookSections(t)
	for _, a := range alerts(loadRules(t)) {
		if !severities[a.Labels["severity"]] {
			t.Errorf("%s: severity %q, want one of critical, warning, info", a.Alert, a.Labels["severity"])
		}
		for _, k := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(a.Annotations[k]) == "" {
				t.Errorf("%s: no %s annotation", a.name(), k)
			}
		}
		u, err := url.Parse(a.Annotations["runbook_url"])
		if err != nil {
			t.Errorf("%s: runbook_url: %v", a.name(), err)
			continue
		}
		anchor := u.Fragment
		u.Fragment = ""
		if u.String() != runbookURL {
			t.Errorf("%s: runbook_url %s, want %s#...", a.name(), a.Annotations["runbook_url"], runbookURL)
		}
		if want := strings.ToLower(a.Alert); anchor != want {
			t.Errorf("%s: runbook anchor %q, want %q", a.name(), anchor, want)
		}
		if _, ok := sections[anchor]; !ok {
			t.Errorf("%s: docs/runbook.md has no section #%s", a.name(), anchor)
		}
	}
}

// TestRequiredAlerts: the alerts the issue asks for exist with the
// severities the Alertmanager routes expect.
func TestRequiredAlerts(t *testing.T) {
	have := map[string]bool{}
	for _, a := range alerts(loadRules(t)) {
		have[a.Alert+"/"+a.Labels["severity"]] = true
	}
	for _, want := range []string{
		"MTProxyDown/critical",                        // proxy down: up == 0
		"MTProxyTargetMissing/critical",               // proxy down: absent
		"MTProxyNoUpstreamReady/critical",             // no ready upstream targets
		"MTProxyUpstreamTargetsNotReady/warning",      // ready < declared (official active_targets)
		"MTProxyActiveTargetsNotReady/warning",        // ready < active
		"MTProxyDCUnreachable/warning",                // a DC unreachable
		"MTProxyDCNotAnsweringMTProto/warning",        // DCs connect but do not answer MTProto (interception)
		"MTProxyClientsNotAuthenticating/warning",     // clients accepted, almost none authenticated
		"MTProxyClientsStalledAfterHandshake/warning", // authenticated, then nothing flows (throttling)
		"MTProxyHandshakeFailureRatioHigh/warning",    // handshake failure ratio
		"MTProxyConnectionsNearLimit/warning",         // above 90 % of the limit
		"MTProxyClockSkew/warning",                    // skew above 2 s
		"MTProxyClockSkew/critical",                   // skew above 5 s
		"MTProxyNATMismatch/warning",                  // NAT misconfiguration
		"MTProxyTelegramConfigStale/warning",          // config stale
		"MTProxyTelegramConfigRefreshFailing/warning", // refresh failing
		"MTProxyReplayAttemptsSpike/warning",          // replay attack spike
		"MTProxyFrontingSpike/warning",                // fronting spike
		"MTProxyServingDirect/warning",                // MODE=auto serving DCs directly
	} {
		if !have[want] {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestRuleNamesUnique: alert names repeat only across severities, recording
// rule names and group names never.
func TestRuleNamesUnique(t *testing.T) {
	seen := map[string]string{}
	groups := map[string]bool{}
	for _, r := range loadRules(t) {
		if prev, ok := seen[r.name()]; ok {
			t.Errorf("%s defined in %s and %s", r.name(), prev, r.file)
		}
		seen[r.name()] = r.file
		groups[r.file+"/"+r.group] = true
	}
	names := map[string]bool{}
	for g := range groups {
		n := g[strings.Index(g, "/")+1:]
		if names[n] {
			t.Errorf("group %s repeated", n)
		}
		names[n] = true
	}
}

// alertNames are the distinct alert names of rules, sorted.
func alertNames(rules []rule) []string {
	set := map[string]bool{}
	for _, a := range alerts(rules) {
		set[a.Alert] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
