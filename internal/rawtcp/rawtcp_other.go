//go:build !linux

package rawtcp

import "net"

// Listener is not available here: Wrap declines.
type Listener struct{ net.Listener }

// Wrap declines elsewhere than on Linux: the caller keeps tl.
func Wrap(tl *net.TCPListener) (l *Listener, ok bool) { return nil, false }

// Detach does nothing.
func (l *Listener) Detach() {}
