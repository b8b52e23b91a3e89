package users

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
)

// usageFile is the persisted quota usage: per user, the period its bytes
// belong to and the bytes.
type usageFile struct {
	Version int                   `json:"version"`
	Saved   time.Time             `json:"saved"`
	Users   map[string]MeterState `json:"users"`
}

// SaveUsage writes every user's quota usage to path, atomically.
func (r *Registry) SaveUsage(path string) error {
	r.mu.Lock()
	f := usageFile{Version: 1, Saved: r.o.Now().UTC(), Users: make(map[string]MeterState, len(r.byName))}
	for name, e := range r.byName {
		f.Users[name] = e.meter.State()
	}
	r.mu.Unlock()
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}

// LoadUsage adds the usage saved in path to the current users' meters
// (users no longer configured are skipped). A missing file is no error.
// A period that has ended since is started over by the first look at the
// meter, never before: a restart does not reset a period, nor prolong one.
func (r *Registry) LoadUsage(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f usageFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if f.Version != 1 {
		return fmt.Errorf("%s: unknown version %d", path, f.Version)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, st := range f.Users {
		if e := r.byName[name]; e != nil {
			e.meter.Restore(st)
		}
	}
	return nil
}
