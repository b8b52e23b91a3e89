//go:build race

package proxy_test

// raceEnabled: the race detector widens every stack frame, so figures of
// stack memory are the release build's only.
const raceEnabled = true
