package middle

import (
	"crypto/md5"
	"encoding/hex"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
)

// files holds Telegram's two files in use and what is known of them.
type files struct {
	secret atomic.Pointer[rpc.ProxySecret]
	config atomic.Pointer[tgconfig.Config]

	mu    sync.Mutex
	state [numFiles]fileState
}

type fileState struct {
	md5         [16]byte
	size        int
	dcs         int
	loadedAt    time.Time
	source      Source
	lastRefresh time.Time
	lastResult  RefreshResult
}

// parsed is a file's content, decoded and validated.
type parsed struct {
	secret *rpc.ProxySecret
	config *tgconfig.Config
}

// unchanged reports whether b is the version of f in use.
func (fs *files) unchanged(f File, b []byte) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := &fs.state[f]
	return st.source != SourceNone && st.size == len(b) && st.md5 == md5.Sum(b)
}

// record notes a load attempt's result.
func (fs *files) record(f File, res RefreshResult, at time.Time) {
	fs.mu.Lock()
	fs.state[f].lastRefresh = at
	fs.state[f].lastResult = res
	fs.mu.Unlock()
}

// install puts a new version of f in use.
func (fs *files) install(f File, p parsed, raw []byte, src Source, at time.Time) {
	fs.mu.Lock()
	st := &fs.state[f]
	st.md5, st.size, st.loadedAt, st.source = md5.Sum(raw), len(raw), at, src
	if p.config != nil {
		st.dcs = len(p.config.Targets)
	}
	fs.mu.Unlock()
	if p.secret != nil {
		fs.secret.Store(p.secret)
	}
	if p.config != nil {
		fs.config.Store(p.config)
	}
}

func (fs *files) stats(f File, name string, now time.Time) FileStats {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := &fs.state[f]
	s := FileStats{Name: name, Source: st.source, LoadedAt: st.loadedAt, Size: st.size,
		DCs: st.dcs, LastRefresh: st.lastRefresh, LastResult: st.lastResult}
	if st.source != SourceNone {
		s.MD5 = hex.EncodeToString(st.md5[:])
		s.Age = now.Sub(st.loadedAt)
	}
	return s
}

// filterFamilies drops the addresses a dc.OnlyIPv4 / dc.OnlyIPv6
// preference excludes, and DCs left without any.
func filterFamilies(c *tgconfig.Config, pref dc.Preference) *tgconfig.Config {
	if pref != dc.OnlyIPv4 && pref != dc.OnlyIPv6 {
		return c
	}
	out := *c
	out.Targets = make(map[int][]netip.AddrPort, len(c.Targets))
	for id, addrs := range c.Targets {
		for _, a := range addrs {
			if a.Addr().Unmap().Is4() == (pref == dc.OnlyIPv4) {
				out.Targets[id] = append(out.Targets[id], a)
			}
		}
	}
	return &out
}

// source returns where the version of f in use came from.
func (fs *files) source(f File) Source {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.state[f].source
}
