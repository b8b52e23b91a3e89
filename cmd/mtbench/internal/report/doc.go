// Package report is the load generator's result: one Report per run, printed
// as text for people or as JSON for scripts (scripts/bench.sh feeds the JSON
// of repeated runs to package compare).
//
// Rates are in bytes per second in the data and in MB/s (10^6 bytes, as Go
// benchmarks count) in text.
package report
