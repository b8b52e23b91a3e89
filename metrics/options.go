package metrics

import (
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// Defaults of [Options], each documented on its field.
const (
	DefaultVersion    = "unknown"
	DefaultWorkers    = 1
	DefaultProcStatus = "/proc/self/status"
)

// Mode is how the proxy reaches Telegram.
type Mode uint8

// The modes.
const (
	// ModeDirect: each client gets its own connection to its DC.
	ModeDirect Mode = iota
	// ModeMiddle: clients are multiplexed over RPC connections to
	// Telegram's middle proxies (needed for the ad tag).
	ModeMiddle
	// ModeAuto: middle proxies per DC whenever they can serve, direct
	// otherwise (proxy/auto; see [Metrics.SetPaths]).
	ModeAuto
	numModes
)

var modeNames = [...]string{ModeDirect: "direct", ModeMiddle: "middle", ModeAuto: "auto"}

// One name per Mode: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(modeNames)-int(numModes)]

// String returns the mode's label.
func (m Mode) String() string { return enum.Name(modeNames[:], m) }

// Options configure [New]. The zero value is usable; every field documents
// its default.
type Options struct {
	// Secrets are the metric labels of the client secrets, by secret index
	// (see [SecretLabels]); never the secrets themselves. An empty or
	// repeated label is replaced by the secret's index (made unique with
	// "_" suffixes), so every secret keeps its own series. Default: none;
	// traffic of a secret index without a label still counts per DC.
	Secrets []string
	// DCs are the DC ids known at start: the DC table, DC_ADDRS and the
	// middle-proxy configuration. Each id's media counterpart (-id) is
	// added, and every other id maps to the label "other". Default: the
	// built-in table (1-5 and 203) and its media ids.
	DCs []int
	// Mode is direct, middle-proxy or auto. Default ModeDirect.
	Mode Mode
	// Version and Revision identify the build (mtproxy_build_info and the
	// /stats version line). Default: DefaultVersion ("unknown").
	Version, Revision string
	// Workers is the WORKERS setting (/stats workers). Default:
	// DefaultWorkers (1).
	Workers int
	// MaxConnections is the client connection limit reported until
	// [Metrics.SetProxy] supplies the engine's own. Default:
	// proxy.DefaultMaxConnections (60000, one worker's) x Workers.
	MaxConnections int
	// ProxyTagSet says an ad tag is configured (/stats proxy_tag_set).
	ProxyTagSet bool
	// StatsPort is the INTERNAL_PORT, shown in the /stats PID line as the
	// official proxy shows its -p port. Default 0.
	StatsPort int
	// Start is when the process started. Default: the time of New.
	Start time.Time
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ProcStatus is the file the vm*_bytes keys are read from. Default:
	// DefaultProcStatus ("/proc/self/status"); where it cannot be read
	// they are 0.
	ProcStatus string
}

// SecretLabels returns the metric labels of secrets: each one's
// [proxy.Secret.Label] (its name, or its index), never its key.
func SecretLabels(secrets []proxy.Secret) []string {
	out := make([]string, len(secrets))
	for i, s := range secrets {
		out[i] = s.Label(i)
	}
	return out
}

func (o Options) withDefaults() Options {
	if o.DCs == nil {
		o.DCs = dc.Builtin().IDs()
	}
	defaults.Set(&o.Version, DefaultVersion)
	defaults.Set(&o.Revision, DefaultVersion)
	defaults.SetPositive(&o.Workers, DefaultWorkers)
	defaults.SetPositive(&o.MaxConnections, proxy.DefaultMaxConnections*o.Workers)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start.IsZero() {
		o.Start = o.Now()
	}
	defaults.Set(&o.ProcStatus, DefaultProcStatus)
	return o
}
