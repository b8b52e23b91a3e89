package load

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// Workload is what a run does with its connections.
type Workload uint8

// Workloads; see the package documentation.
const (
	Transfer Workload = iota + 1
	Echo
	Handshakes
	Idle
	numWorkloads
)

var workloadNames = [...]string{Transfer: "transfer", Echo: "echo", Handshakes: "handshakes", Idle: "idle"}

// One name per Workload: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(workloadNames)-int(numWorkloads)]

// String names the workload.
func (w Workload) String() string { return enum.Name(workloadNames[:], w) }

// Direction is which way a Transfer moves its bytes.
type Direction uint8

// Directions: Up is client to DC, Down DC to client, Both at once.
const (
	Up Direction = iota + 1
	Down
	Both
	numDirections
)

var directionNames = [...]string{Up: "up", Down: "down", Both: "both"}

// One name per Direction: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(directionNames)-int(numDirections)]

// String names the direction.
func (d Direction) String() string { return enum.Name(directionNames[:], d) }

// ParseDirection reads up, down or both.
func ParseDirection(s string) (Direction, error) {
	return parseName[Direction](directionNames[:], s, "direction")
}

// Probe is how a new connection proves it reaches the DC.
type Probe uint8

// Probes; see the package documentation.
const (
	ProbeNone Probe = iota + 1
	ProbeReqPQ
	ProbeEcho
	numProbes
)

var probeNames = [...]string{ProbeNone: "none", ProbeReqPQ: "reqpq", ProbeEcho: "echo"}

// One name per Probe: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(probeNames)-int(numProbes)]

// String names the probe.
func (p Probe) String() string { return enum.Name(probeNames[:], p) }

// ParseProbe reads none, reqpq or echo.
func ParseProbe(s string) (Probe, error) { return parseName[Probe](probeNames[:], s, "probe") }

// clientModes are the client modes a run can use.
var clientModes = [...]client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS}

// ParseMode reads abridged, intermediate, padded or faketls: a client
// mode's String.
func ParseMode(s string) (client.Mode, error) {
	for _, m := range clientModes {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown mode %q", ErrConfig, s)
}

// ModeName names a client mode as ParseMode reads it.
func ModeName(m client.Mode) string { return m.String() }

func parseName[E enum.Integer](names []string, s, what string) (E, error) {
	if v, ok := enum.Parse[E](names, s); ok {
		return v, nil
	}
	return 0, fmt.Errorf("%w: unknown %s %q", ErrConfig, what, s)
}

// Ceilings that keep a run bounded whatever the flags say.
const (
	MaxConns    = 50_000
	MaxBytes    = 16 << 30 // per connection, each way
	MaxDuration = 30 * time.Minute
	MaxPacket   = 1 << 20
	MaxWindow   = 1024
)

// Defaults of zero Config fields.
const (
	DefaultDC           = 2
	DefaultChunk        = 64 << 10
	DefaultPacket       = 16 << 10
	DefaultWindow       = 8
	DefaultDuration     = 2 * time.Minute
	DefaultHold         = 5 * time.Second
	DefaultDialParallel = 64
	DefaultSampleEvery  = 100 * time.Millisecond
	DefaultTimeout      = 10 * time.Second
)

// Errors of this package; test them with errors.Is.
var (
	// ErrConfig means the Config cannot describe a bounded run.
	ErrConfig = errors.New("load: invalid configuration")
	// ErrRemote means the target is not on loopback and AllowRemote is off.
	ErrRemote = errors.New("load: target is not a loopback address (use -allow-remote)")
	// ErrVerify means bytes came back other than sent: the proxy (or the
	// far end) corrupted, lost or reordered data.
	ErrVerify = errors.New("load: data verification failed")
)

// Config describes one run. Addr, Secret, Mode and Workload are required;
// zero values elsewhere take the defaults above.
type Config struct {
	Addr   string
	Secret secret.Secret
	// Secrets, for Handshakes only, are cycled through one per handshake
	// instead of Secret: the users of a proxy with USERS_FILE, each
	// handshake's user the least recently used one. They share Secret's
	// kind and domain.
	Secrets  []secret.Secret
	Mode     client.Mode
	DC       int16 // the DC asked for in the header; 0 means DefaultDC
	Workload Workload
	Label    string // copied into the report

	// Conns is the connection count (Transfer, Echo, Idle) or the parallel
	// worker count (Handshakes).
	Conns int
	// Bytes is the payload per connection, each way it flows (Transfer,
	// Echo).
	Bytes     int64
	Direction Direction // Transfer
	Chunk     int       // write and read size of transfers; default 64 KiB
	Packet    int       // Echo packet size, a multiple of 4; default 16 KiB
	Window    int       // Echo packets in flight per connection; default 8
	// Verify checks every byte against the pattern; off, bytes are only
	// counted (uploads are always checked by the DC).
	Verify bool

	// Ramp spreads connection starts (Transfer, Echo, Idle).
	Ramp time.Duration
	// Duration bounds the run: the whole of Transfer and Echo, the loop of
	// Handshakes, the opening phase of Idle. Default 2m.
	Duration time.Duration
	// Count stops Handshakes after this many; 0 runs for Duration.
	Count int
	// Hold is how long Idle keeps its connections before reading RSS.
	Hold time.Duration
	// DialParallel bounds concurrent handshakes while Idle opens its
	// connections. Default 64.
	DialParallel int
	// Timeout bounds each dial + handshake + probe. Default 10s.
	Timeout time.Duration
	Probe   Probe // default ProbeReqPQ

	// PID is the proxy process to observe in /proc; 0 observes nothing.
	PID  int
	Proc procfs.FS
	// SampleEvery is the RSS sampling period for PeakRSS. Default 100ms.
	SampleEvery time.Duration

	// AllowRemote permits a target that is not on loopback.
	AllowRemote bool
}

// withDefaults fills zero fields and checks the ceilings.
func (c Config) withDefaults() (Config, error) {
	defaults.Set(&c.DC, DefaultDC)
	defaults.Set(&c.Chunk, DefaultChunk)
	defaults.Set(&c.Packet, DefaultPacket)
	defaults.Set(&c.Window, DefaultWindow)
	defaults.Set(&c.Duration, DefaultDuration)
	defaults.Set(&c.Hold, DefaultHold)
	defaults.Set(&c.DialParallel, DefaultDialParallel)
	defaults.Set(&c.Timeout, DefaultTimeout)
	defaults.Set(&c.Probe, ProbeReqPQ)
	defaults.Set(&c.SampleEvery, DefaultSampleEvery)
	return c, c.validate()
}

func (c Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.Addr == "":
		return bad("no target address")
	case c.Secret.Kind == 0:
		return bad("no secret")
	case !slices.Contains(clientModes[:], c.Mode):
		return bad("no client mode")
	case c.Mode == client.FakeTLS && c.Secret.Domain == "":
		return bad("faketls needs a domain (an ee secret or -domain)")
	case c.Workload.String() == enum.Unknown:
		return bad("no workload")
	case c.Conns < 1 || c.Conns > MaxConns:
		return bad("conns %d outside 1..%d", c.Conns, MaxConns)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return bad("duration %v outside 0..%v", c.Duration, MaxDuration)
	case c.Ramp < 0 || c.Ramp > c.Duration:
		return bad("ramp %v outside 0..duration", c.Ramp)
	case c.Hold < 0 || c.Hold > MaxDuration:
		return bad("hold %v outside 0..%v", c.Hold, MaxDuration)
	case c.Timeout < 0 || c.Count < 0 || c.DialParallel < 1 || c.SampleEvery < 0:
		return bad("negative timeout, count or sampling period, or no dial parallelism")
	case c.Chunk < 1<<10 || c.Chunk > 1<<20:
		return bad("chunk %d outside 1 KiB..1 MiB", c.Chunk)
	case c.Probe.String() == enum.Unknown:
		return bad("unknown probe")
	case len(c.Secrets) > 0 && c.Workload != Handshakes:
		return bad("a list of secrets is for -handshakes only")
	}
	for _, s := range c.Secrets {
		if s.Kind != c.Secret.Kind || s.Domain != c.Secret.Domain {
			return bad("the secrets of a list differ in kind or domain")
		}
	}
	switch c.Workload {
	case Transfer:
		if c.Direction.String() == enum.Unknown {
			return bad("transfer needs a direction")
		}
		if c.Bytes < 1 || c.Bytes > MaxBytes {
			return bad("bytes %d outside 1..%d", c.Bytes, int64(MaxBytes))
		}
	case Echo:
		if c.Packet < 4 || c.Packet > MaxPacket || c.Packet%4 != 0 {
			return bad("packet size %d: want a multiple of 4 up to %d", c.Packet, MaxPacket)
		}
		if c.Window < 1 || c.Window > MaxWindow {
			return bad("window %d outside 1..%d", c.Window, MaxWindow)
		}
		if c.Bytes < int64(c.Packet) || c.Bytes > MaxBytes {
			return bad("bytes %d outside packet size..%d", c.Bytes, int64(MaxBytes))
		}
	}
	return nil
}
