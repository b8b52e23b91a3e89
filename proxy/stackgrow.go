package proxy

// A handshake's goroutine starts with the runtime's 2 KiB stack, and its
// deepest point (the obfuscated2 key schedules, under the handshake's
// frames) needs more: the runtime then grows the stack there, and growing
// costs in proportion to the frames on it (each one's pointer map looked
// up and adjusted: 3 – 4% of a middle-mode handshake's CPU in a profile).
// growStack makes that growth happen at the goroutine's start instead,
// with one frame under it. It asks for what the handshake uses: 8 KiB,
// where the runtime took an obfuscated2 handshake's stack (a uprobe on
// runtime.copystack: its growths under SHA-256's block function went to
// 8 KiB, none further); the goroutine's stack is let go when the
// handshake hands the session on (serveConnHandoff).

// stackReserve is growStack's frame: over what a 4 KiB stack has left
// above the runtime's guard (about 3 KiB; the runtime may start
// goroutines with 2 or 4 KiB, from the stacks it saw in use), under what
// an 8 KiB stack has, so the growth lands on 8 KiB.
const stackReserve = 3584

// growStack grows the calling goroutine's stack to 8 KiB at once.
//
//go:noinline
func growStack() {
	var reserve [stackReserve]byte
	keepFrame(reserve[:])
}

// keepFrame keeps growStack's array, and with it its frame, from being
// optimized away.
//
//go:noinline
func keepFrame([]byte) {}
