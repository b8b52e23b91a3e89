// Command gendashboards writes the Grafana dashboards of the proxy
// (dashboards/*.json at the repository root) from typed Go definitions
// built with the Grafana Foundation SDK.
//
// Run it from deploy/ after changing a dashboard:
//
//	go run ./cmd/gendashboards -out ../dashboards
//
// and with -check (as its test does) to verify that the committed JSON is
// what the definitions produce.
//
// Every dashboard shares the same conventions, which the tests in
// deploy/internal/monitoringtest enforce on the JSON: the Prometheus
// datasource is the ${datasource} variable (no datasource uid is written
// down), every selector carries the job and instance variables, every range
// is $__rate_interval, and latency panels (histograms) ask for exemplars,
// which Grafana links to traces through the Prometheus datasource's
// exemplarTraceIdDestinations (the trace_id label). Latency panels also link
// to a trace search in the ${traces} datasource variable (Jaeger).
package main
