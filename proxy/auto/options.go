package auto

import (
	"errors"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// Defaults of [Options], each documented on its field.
const (
	// DefaultThreshold is how long a DC's middle proxies may have no
	// ready connection before its new clients go direct: longer than a
	// middle proxy's restart and the reconnect that follows, short enough
	// that clients do not give up.
	DefaultThreshold     = 30 * time.Second
	DefaultCheckInterval = time.Second
)

// Middle is the middle-proxy upstream as Auto uses it; *middle.Middle
// implements it (started with StartBackground).
type Middle interface {
	proxy.Upstream
	// Running reports whether Telegram's files are in use.
	Running() bool
	// DCReady reports whether a new client of the DC would find a ready
	// middle-proxy connection now.
	DCReady(dc int) bool
}

// Options configure an [Auto]. Middle and Direct are required; the zero
// value of every other field is a usable default, documented on the field.
type Options struct {
	// Middle is the middle-proxy upstream. Required.
	Middle Middle
	// Direct is the direct upstream (proxy/direct). Required.
	Direct proxy.Upstream
	// DCs are the DC ids given a state of their own, each with its media
	// counterpart (-id); every other id shares one. Use the ids the
	// metrics label (the DC table's). Default: dc.Builtin().IDs().
	DCs []int
	// Threshold is how long a DC on the middle path may have no ready
	// middle-proxy connection before its new clients go direct; they
	// come back as soon as one is ready. Default: DefaultThreshold (30s);
	// negative: never fall back (a DC that reached middle stays there).
	Threshold time.Duration
	// CheckInterval is how often Run evaluates every DC. Default:
	// DefaultCheckInterval (1s).
	CheckInterval time.Duration
	// Observer receives every switch. Default: NopObserver.
	Observer Observer
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Configuration errors New returns.
var (
	ErrNoMiddle = errors.New("auto: Options.Middle is required")
	ErrNoDirect = errors.New("auto: Options.Direct is required")
)

func (o *Options) validate() error {
	switch {
	case o.Middle == nil:
		return ErrNoMiddle
	case o.Direct == nil:
		return ErrNoDirect
	}
	return nil
}

func (o *Options) setDefaults() {
	if o.DCs == nil {
		o.DCs = dc.Builtin().IDs()
	}
	defaults.Set(&o.Threshold, DefaultThreshold)
	defaults.SetPositive(&o.CheckInterval, DefaultCheckInterval)
	defaults.Set[Observer](&o.Observer, NopObserver{})
	if o.Now == nil {
		o.Now = time.Now
	}
}
