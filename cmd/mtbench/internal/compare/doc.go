// Package compare turns repeated load-generator reports into the side-by-side
// tables of BENCHMARKS.md: reports are grouped by scenario and variant (their
// label is "scenario/variant", e.g. "tput-up-8/mtg"), every metric of the
// scenario's workload is reduced to the median over the repetitions, and each
// variant is set against a base variant as a ratio.
package compare
