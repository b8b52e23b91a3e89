package auto

import (
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Path is how a DC's new clients reach Telegram.
type Path uint8

// The paths, a closed set usable as a metric label.
const (
	// PathMiddle: through Telegram's middle proxies (proxy/middle).
	PathMiddle Path = iota
	// PathDirect: a connection to the DC per client (proxy/direct).
	PathDirect
	// NumPaths is the number of paths.
	NumPaths
)

var pathNames = [...]string{PathMiddle: "middle", PathDirect: "direct"}

// One name per Path: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(pathNames)-int(NumPaths)]

// String returns the path's label.
func (p Path) String() string { return enum.Name(pathNames[:], p) }

// Reason is why a DC is on its path, a closed set.
type Reason uint8

// The reasons.
const (
	// ReasonFilesAtStart: Telegram's files were in at start, so the DC
	// started on the middle path.
	ReasonFilesAtStart Reason = iota
	// ReasonNoFiles: Telegram's files were not in at start, so the DC
	// started on the direct path.
	ReasonNoFiles
	// ReasonMiddleReady: the DC's middle proxies got a ready connection.
	ReasonMiddleReady
	// ReasonMiddleDown: the DC's middle proxies had no ready connection
	// for longer than Threshold.
	ReasonMiddleDown
	// NumReasons is the number of reasons.
	NumReasons
)

var reasonNames = [...]string{ReasonFilesAtStart: "files_at_start", ReasonNoFiles: "no_files",
	ReasonMiddleReady: "middle_ready", ReasonMiddleDown: "middle_down"}

// One name per Reason: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(reasonNames)-int(NumReasons)]

// String returns the reason's label.
func (r Reason) String() string { return enum.Name(reasonNames[:], r) }

// DCPath is one DC's path now.
type DCPath struct {
	// DC is the DC id; 0 with Other.
	DC int
	// Other marks the state shared by the ids outside Options.DCs.
	Other bool
	// Path is where the DC's new clients go; Reason why; Since when.
	Path   Path
	Reason Reason
	Since  time.Time
}

// SwitchEvent is one switch of a DC's path.
type SwitchEvent struct {
	// DC, Other: as in DCPath.
	DC    int
	Other bool
	// From and To are the paths before and after; Reason is why
	// (ReasonMiddleReady or ReasonMiddleDown).
	From, To Path
	Reason   Reason
	// Down is how long the middle proxies had no ready connection
	// (ReasonMiddleDown); Direct how long the DC was on the direct path
	// (ReasonMiddleReady).
	Down, Direct time.Duration
}

// Observer receives the switches. It is called with the DC's state
// locked, so that switches arrive in order: it must be cheap and must not
// call back into the Auto.
type Observer interface {
	PathSwitched(SwitchEvent)
}

// NopObserver ignores everything; it is the default Observer.
type NopObserver struct{}

// PathSwitched does nothing.
func (NopObserver) PathSwitched(SwitchEvent) {}
