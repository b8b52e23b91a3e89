package users

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// DefaultSaveEvery is how often quota usage is saved by default: a crash
// loses at most this much counting.
const DefaultSaveEvery = 5 * time.Second

// Run does the registry's periodic work until ctx is done: every second it
// reorders the keys by recent use and applies what time changes (period
// boundaries, expiries); every saveEvery (default DefaultSaveEvery) and
// once more on the way out it saves the quota usage to usagePath, when
// set.
func (r *Registry) Run(ctx context.Context, usagePath string, saveEvery time.Duration) {
	if saveEvery <= 0 {
		saveEvery = DefaultSaveEvery
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastSave := time.Now()
	save := func() {
		if usagePath == "" {
			return
		}
		if err := r.SaveUsage(usagePath); err != nil {
			r.o.Logger.Warn("saving the users' quota usage failed", zap.String("file", usagePath), zap.Error(err))
		}
		lastSave = time.Now()
	}
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-tick.C:
			r.Reorder()
			r.Tick()
			if time.Since(lastSave) >= saveEvery {
				save()
			}
		}
	}
}
