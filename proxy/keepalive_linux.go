//go:build linux

package proxy

import (
	"net"
	"syscall"
	"time"
)

// listenerKeepAlive sets the clients' keepalive (Options.KeepAlive) on a
// listening TCP socket, whose options Linux copies to every socket it
// accepts, and reports whether it did: the connections accepted from it
// then need no setsockopt calls of their own (four per connection).
func (p *Proxy) listenerKeepAlive(ln net.Listener) bool {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	set := func(fd uintptr, level, opt, v int) {
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), level, opt, v)
		}
	}
	err = rc.Control(func(fd uintptr) {
		if p.o.KeepAlive < 0 {
			set(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 0)
			return
		}
		// As net.TCPConn.SetKeepAliveConfig does: whole seconds, rounded up.
		secs := int((p.o.KeepAlive + time.Second - 1) / time.Second)
		set(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
		set(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, secs)
		set(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, secs)
		set(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, keepAliveCount)
	})
	return err == nil && serr == nil
}
