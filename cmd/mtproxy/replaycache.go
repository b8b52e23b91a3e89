package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"go.uber.org/zap"
)

// replaySaveInterval is how often the replay cache is written while the
// proxy runs (and once more at shutdown), so a crash loses at most this
// much of it.
const replaySaveInterval = time.Minute

// replayStore keeps the handshake replay cache in REPLAY_CACHE_FILE across
// restarts: read back at start, written periodically and at shutdown. A
// missing, unreadable or damaged file, or one that cannot be written, is a
// warning: the proxy then runs with what it has, as with SECRET_FILE.
type replayStore struct {
	path    string
	cache   *replay.Cache
	log     *zap.Logger
	mu      sync.Mutex // one save at a time
	failing bool       // the last save failed (warned once per failure streak)
}

// openReplayStore reads path (when set) into a cache of the default size.
func openReplayStore(path string, log *zap.Logger) *replayStore {
	s := &replayStore{path: path, log: log}
	if path == "" {
		s.cache = replay.New(proxy.DefaultReplayCacheSize)
		return s
	}
	f, err := os.Open(path)
	if err == nil {
		s.cache, err = replay.Read(f, proxy.DefaultReplayCacheSize, time.Now())
		f.Close()
	}
	switch {
	case err == nil:
		log.Info("replay cache read back", zap.String("file", path), zap.Int("entries", s.cache.Len()))
	case errors.Is(err, fs.ErrNotExist):
	default:
		log.Warn("replay cache not read back; starting empty (handshakes of the last minutes could be replayed once)",
			zap.String("file", path), zap.Error(err))
	}
	if s.cache == nil {
		s.cache = replay.New(proxy.DefaultReplayCacheSize)
	}
	return s
}

// save writes the cache to the file, atomically.
func (s *replayStore) save() {
	if s.path == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	err := s.cache.Save(&b, time.Now())
	if err == nil {
		err = atomicfile.Write(s.path, b.Bytes(), 0o600)
	}
	switch {
	case err != nil && !s.failing:
		s.log.Warn("replay cache not saved; a restart will forget it", zap.String("file", s.path), zap.Error(err))
	case err == nil && s.failing:
		s.log.Info("replay cache saved again", zap.String("file", s.path))
	}
	s.failing = err != nil
}

// run saves the cache every replaySaveInterval until ctx ends.
func (s *replayStore) run(ctx context.Context) {
	if s.path == "" {
		return
	}
	t := time.NewTicker(replaySaveInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.save()
		}
	}
}
