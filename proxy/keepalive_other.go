//go:build !linux

package proxy

import "net"

// listenerKeepAlive reports false: elsewhere than on Linux each accepted
// connection gets its keepalive itself (setKeepAlive).
func (p *Proxy) listenerKeepAlive(net.Listener) bool { return false }
