package webproxy

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"strconv"
	"sync"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

func cryptoRand() io.Reader { return rand.Reader }

// Secret is one client secret the carrier accepts: the bare 16 bytes and
// a name for logs. The key never appears in logs or errors.
type Secret struct {
	Name string
	Key  [16]byte
}

// SecretSource yields the current secrets. Version must change whenever
// the list does; the carrier recomputes its capabilities only then.
// Implementations must be safe for concurrent use and cheap to call (once
// per request that could carry a capability).
type SecretSource interface {
	Secrets() (version uint64, list []Secret)
}

// StaticSecrets is a SecretSource of a fixed list.
func StaticSecrets(list []Secret) SecretSource {
	return staticSecrets(append([]Secret(nil), list...))
}

type staticSecrets []Secret

func (s staticSecrets) Secrets() (uint64, []Secret) { return 1, s }

// capEntry is one capability the relay accepts: a secret in one form.
type capEntry struct {
	sum  [sha256.Size]byte
	key  [16]byte
	form wire.Form
	name string
	idx  int
}

// label names the entry's secret in logs: its name, or its index.
func (e capEntry) label() string {
	if e.name != "" {
		return e.name
	}
	return strconv.Itoa(e.idx)
}

// capTable is the capabilities of one version of the secrets.
type capTable struct {
	version uint64
	entries []capEntry
}

// capabilities caches the capability table of the current secrets.
type capabilities struct {
	src            SecretSource
	host, basePath string

	mu    sync.Mutex
	table *capTable
}

// current returns the table of the source's current version.
func (c *capabilities) current() *capTable {
	v, list := c.src.Secrets()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.table != nil && c.table.version == v {
		return c.table
	}
	t := &capTable{version: v, entries: make([]capEntry, 0, 2*len(list))}
	for i, s := range list {
		for _, f := range []wire.Form{wire.Plain, wire.DD} {
			e := capEntry{key: s.Key, form: f, name: s.Name, idx: i}
			wire.CapabilitySum(&e.sum, wire.SecretBytes(s.Key, f), c.host, c.basePath)
			t.entries = append(t.entries, e)
		}
	}
	c.table = t
	return t
}

// match finds the secret whose capability is s. Every entry is compared,
// in constant time each, so the time taken tells nothing of which matched
// or how close s came.
func (c *capabilities) match(s string) (capEntry, bool) {
	sum, ok := wire.DecodeCapability(s)
	if !ok {
		return capEntry{}, false
	}
	t := c.current()
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(t.entries[i].sum[:], sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return capEntry{}, false
	}
	return t.entries[found], true
}
