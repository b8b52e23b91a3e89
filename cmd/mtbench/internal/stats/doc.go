// Package stats summarises latency samples for the load generator: count,
// mean, extremes and nearest-rank percentiles, and the median of repeated
// measurements that the comparison reports.
//
// It is pure arithmetic on slices the caller owns; nothing here measures
// time.
package stats
