// Command genk8srules turns the Prometheus rule files of
// deploy/prometheus/rules into the PrometheusRule object of the Kubernetes
// manifests, deploy/k8s/prometheusrule.yaml, so that a cluster running the
// Prometheus Operator evaluates exactly the rules the docker-compose stack
// and the promtool tests use.
//
// Every *.rules.yml file is decoded strictly into the operator's rule types
// (a field the operator does not know is an error, not a silently dropped
// rule), the groups are concatenated in file-name order, and the object is
// written with a "generated, do not edit" header. A test fails when the
// committed output is stale; regenerate with
//
//	cd deploy && go generate ./cmd/genk8srules
package main

//go:generate go run . -rules ../../prometheus/rules -out ../../k8s/prometheusrule.yaml

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	rules := flag.String("rules", "deploy/prometheus/rules", "directory of the *.rules.yml files")
	out := flag.String("out", "deploy/k8s/prometheusrule.yaml", "PrometheusRule manifest to write")
	flag.Parse()
	b, err := Generate(os.DirFS(*rules))
	if err != nil {
		fmt.Fprintln(os.Stderr, "genk8srules:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genk8srules:", err)
		os.Exit(1)
	}
}
