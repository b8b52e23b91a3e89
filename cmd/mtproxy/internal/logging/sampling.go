package logging

import (
	"hash/fnv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The sampling policy (see the package documentation).
const (
	// SampleTick is the window in which repeated messages are counted.
	SampleTick = time.Second
	// SampleFirst is how many entries of one message each window writes
	// in full.
	SampleFirst = 10
	// SampleThereafter: past SampleFirst, one entry in this many is written.
	SampleThereafter = 1000
	// SampledOutKey is the field telling how many identical entries were
	// dropped before the one it is on.
	SampledOutKey = "sampled_out"
)

// sampledLevels is the number of levels that are sampled: debug, info, warn.
const sampledLevels = int(zapcore.ErrorLevel - zapcore.DebugLevel)

// slots is the number of counters per level; messages hash into them.
const slots = 1024

// policy is a sampling policy; tests shrink it.
type policy struct {
	tick              time.Duration
	first, thereafter uint64
}

// defaultPolicy is the documented policy.
func defaultPolicy() policy {
	return policy{tick: SampleTick, first: SampleFirst, thereafter: SampleThereafter}
}

// counter tracks one message (or the messages hashing alike) of one level.
type counter struct {
	windowEnd atomic.Int64  // unix nanoseconds at which the current window ends
	seen      atomic.Uint64 // entries checked in the current window
	dropped   atomic.Uint64 // entries dropped since one was last written
}

// admit counts an entry at time t and says whether to write it, and if so
// how many entries were dropped before it.
func (c *counter) admit(t int64, p policy) (bool, uint64) {
	if end := c.windowEnd.Load(); t >= end {
		if c.windowEnd.CompareAndSwap(end, t+int64(p.tick)) {
			c.seen.Store(0)
		}
	}
	n := c.seen.Add(1)
	if n <= p.first || (n-p.first)%p.thereafter == 0 {
		return true, c.dropped.Swap(0)
	}
	c.dropped.Add(1)
	return false, 0
}

// counters is shared by a sampling core and every core derived from it.
type counters [sampledLevels][slots]counter

func (cs *counters) get(lvl zapcore.Level, msg string) *counter {
	i := int(lvl - zapcore.DebugLevel)
	if i < 0 {
		i = 0
	}
	h := fnv.New32a()
	h.Write([]byte(msg))
	return &cs[i][h.Sum32()%slots]
}

// samplingCore limits repeated entries below error level, passing the rest
// through to the wrapped core untouched.
type samplingCore struct {
	zapcore.Core
	counts *counters
	policy policy
}

func newSamplingCore(core zapcore.Core, p policy) zapcore.Core {
	return &samplingCore{Core: core, counts: new(counters), policy: p}
}

func (s *samplingCore) With(fields []zapcore.Field) zapcore.Core {
	return &samplingCore{Core: s.Core.With(fields), counts: s.counts, policy: s.policy}
}

func (s *samplingCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !s.Enabled(ent.Level) {
		return ce
	}
	if ent.Level >= zapcore.ErrorLevel {
		return s.Core.Check(ent, ce)
	}
	t := ent.Time
	if t.IsZero() { // an entry made by hand rather than by a zap.Logger
		t = time.Now()
	}
	write, dropped := s.counts.get(ent.Level, ent.Message).admit(t.UnixNano(), s.policy)
	switch {
	case !write:
		return ce
	case dropped == 0:
		return s.Core.Check(ent, ce)
	default:
		return ce.AddCore(ent, droppedCore{Core: s.Core, dropped: dropped})
	}
}

// droppedCore writes an entry with the sampled_out field added.
type droppedCore struct {
	zapcore.Core
	dropped uint64
}

func (d droppedCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	return d.Core.Write(ent, append(fields[:len(fields):len(fields)], zap.Uint64(SampledOutKey, d.dropped)))
}
