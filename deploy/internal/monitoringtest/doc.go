// Package monitoringtest checks what an operator's monitoring of the proxy
// is built from, against the proxy itself:
//
//   - the Grafana dashboards (dashboards/*.json): a valid dashboard model,
//     PromQL that parses once Grafana's variables are substituted, metric
//     names and label values the proxy's registry really has, no hard-coded
//     datasource uid, $__rate_interval windows, exemplars on latency panels;
//   - the Prometheus rules (deploy/prometheus/rules): rulefmt, metric names
//     and label values, severity and annotations on every alert, a runbook
//     section (docs/runbook.md) behind every runbook_url, `promtool check
//     rules`, and `promtool test rules` cases that make every alert fire and
//     stay silent;
//   - the Prometheus and Alertmanager configuration of the compose stack,
//     with `promtool check config`, `amtool check-config` and `amtool config
//     routes test`;
//   - and, in the integration test, all of it at once: the real binary with
//     client traffic, scraped by Debian's Prometheus loading the shipped
//     rules, every dashboard query and rule expression evaluated through the
//     HTTP API.
//
// The metric names come from the proxy's own registry built in-process
// (metrics.New), so a renamed metric breaks these tests, not a dashboard in
// production. The package has tests only.
//
// The external tools (promtool, amtool, prometheus) come from Debian's
// prometheus and prometheus-alertmanager packages. A test needing one skips
// when it is missing, and fails instead when CI=true or
// MTPROXY_REQUIRE_TOOLS=1.
package monitoringtest
