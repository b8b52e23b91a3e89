//go:build race

package proxy

// raceBuild: under the race detector sync.Pool drops what is put in it at
// random, so figures of pooled allocations are the release build's only.
const raceBuild = true
