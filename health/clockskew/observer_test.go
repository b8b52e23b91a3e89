package clockskew

import (
	"sync"
)

// recordingObserver keeps every report and signals each on a channel.
type recordingObserver struct {
	mu       sync.Mutex
	measured []Sample
	failed   []failure
	events   chan struct{}
}

type failure struct {
	source Source
	server string
	err    error
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{events: make(chan struct{}, 64)}
}

func (r *recordingObserver) SkewMeasured(s Sample) {
	r.mu.Lock()
	r.measured = append(r.measured, s)
	r.mu.Unlock()
	r.events <- struct{}{}
}

func (r *recordingObserver) SkewFailed(src Source, server string, err error) {
	r.mu.Lock()
	r.failed = append(r.failed, failure{src, server, err})
	r.mu.Unlock()
	r.events <- struct{}{}
}

func (r *recordingObserver) snapshot() ([]Sample, []failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Sample(nil), r.measured...), append([]failure(nil), r.failed...)
}
