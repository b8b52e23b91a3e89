// Package timex holds the time helpers the module's packages share: the
// idle [Watchdogs] of relayed clients (used by the engine's relay in proxy
// and by the middle-proxy upstream in proxy/middle) and [MaxDuration].
package timex

import (
	"math"
	"time"
)

// MaxDuration is the longest time.Duration: a timer set to it never fires,
// and a saturated result cannot go beyond it.
const MaxDuration = time.Duration(math.MaxInt64)
