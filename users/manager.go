package users

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// Manager ties a Registry to its users file: it loads the file (together
// with the static users from the environment), reloads it on request
// (SIGHUP) or when it changes on disk, and applies the admin API's edits
// by writing the file back first. A file that does not parse or validate
// is refused as a whole, with one log line, and the users in force stay.
type Manager struct {
	reg    *Registry
	path   string
	static []Spec
	log    *zap.Logger

	mu       sync.Mutex // serialises loads and edits
	sum      [sha256.Size]byte
	readOnly string // why Update refuses edits; "": it does not
}

// NewManager returns a manager of the users file at path (may be "": no
// file, the static users only). static are the environment's secrets.
func NewManager(reg *Registry, path string, static []Spec, log *zap.Logger) *Manager {
	if log == nil {
		log = zap.NewNop()
	}
	for i := range static {
		static[i].Static = true
	}
	return &Manager{reg: reg, path: path, static: static, log: log}
}

// Path returns the users file's path ("" for none).
func (m *Manager) Path() string { return m.path }

// Load reads the users file and applies it with the static users. A
// missing file counts as an empty one (the admin API can then create it).
func (m *Manager) Load() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.load(true)
	return err
}

// Reload reads the users file again and applies it if it changed. On an
// error the users in force stay, and the error is logged as one line.
func (m *Manager) Reload() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed, err := m.load(false)
	if err != nil {
		m.log.Error("users file refused; the previous users stay in force", zap.String("file", m.path), zap.Error(err))
		return err
	}
	if changed {
		m.log.Info("users file reloaded", zap.String("file", m.path), zap.Int("users", len(m.reg.Specs())))
	}
	return nil
}

func (m *Manager) load(force bool) (changed bool, err error) {
	var data []byte
	if m.path != "" {
		data, err = os.ReadFile(m.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	sum := sha256.Sum256(data)
	if !force && sum == m.sum {
		return false, nil
	}
	var file []Spec
	if len(data) > 0 {
		if len(data) > MaxFileSize {
			return false, fmt.Errorf("larger than %d MiB", MaxFileSize>>20)
		}
		if file, err = ParseFile(data); err != nil {
			return false, err
		}
	}
	if err := m.reg.Apply(append(slices.Clone(m.static), file...)); err != nil {
		return false, err
	}
	m.sum = sum
	return true, nil
}

// FileUsers returns the users of the file (the static ones left out).
func (m *Manager) FileUsers() []Spec {
	all := m.reg.Specs()
	return slices.DeleteFunc(all, func(s Spec) bool { return s.Static })
}

// ErrNoFile is returned by Update when there is no users file to write.
var ErrNoFile = errors.New("users: no USERS_FILE to write to")

// ErrReadOnly is returned by Update when the manager must not write the
// file (see SetReadOnly).
var ErrReadOnly = errors.New("users: USERS_FILE is not edited here")

// SetReadOnly makes Update refuse every edit with ErrReadOnly and why.
// Loading and reloading the file go on. A fleet of proxies sharing their
// state (STATE_URL) reads one users file, the source of truth for all of
// them: an edit written by one replica would reach that replica only.
func (m *Manager) SetReadOnly(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readOnly = why
}

// Update edits the file's users: edit gets a copy and returns the new set,
// which is validated with the static users, written to the file
// atomically, and applied. Nothing changes on an error.
func (m *Manager) Update(edit func([]Spec) ([]Spec, error)) error {
	if m.path == "" {
		return ErrNoFile
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly != "" {
		return fmt.Errorf("%w: %s", ErrReadOnly, m.readOnly)
	}
	next, err := edit(m.FileUsers())
	if err != nil {
		return err
	}
	all := append(slices.Clone(m.static), next...)
	if err := ValidateSet(all); err != nil {
		return err
	}
	data, err := EncodeFile(next)
	if err != nil {
		return err
	}
	if err := writeFile(m.path, data); err != nil {
		return fmt.Errorf("users: writing %s: %w", m.path, err)
	}
	m.sum = sha256.Sum256(data)
	return m.reg.Apply(all)
}

// Watch reloads the file whenever it changes on disk, until ctx is done.
// It watches the directory, so that editors that write a new file and
// rename it, and Kubernetes' ConfigMap and Secret volumes (which swap a
// "..data" symlink), are seen; bursts of events are coalesced.
func (m *Manager) Watch(ctx context.Context) error {
	if m.path == "" {
		<-ctx.Done()
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	dir, base := filepath.Dir(m.path), filepath.Base(m.path)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("users: watching %s: %w", dir, err)
	}
	_ = m.Reload() // what changed before the watch began
	// A burst of events (a write in several pieces, a rename) is handled
	// once, when it has been quiet for settle, or at the latest patience
	// after its first event. A read that still catches a file half
	// written does no harm: it is refused, or (an empty file) its
	// revocations are undone by the next read within their grace period.
	const settle, patience = 200 * time.Millisecond, 2 * time.Second
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var first time.Time // of the burst; zero: no burst
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			name := filepath.Base(ev.Name)
			if name != base && !strings.HasPrefix(name, "..") {
				continue
			}
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			timer.Reset(min(settle, first.Add(patience).Sub(now)))
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			m.log.Warn("watching the users file", zap.Error(err))
		case <-timer.C:
			first = time.Time{}
			_ = m.Reload() // logged
		}
	}
}
