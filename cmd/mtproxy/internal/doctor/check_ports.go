package doctor

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
)

func (s *session) checkPort(context.Context) Result {
	return s.checkBind("PORT", s.cfg.Bind, s.cfg.Port)
}

func (s *session) checkInternalPort(context.Context) Result {
	return s.checkBind("INTERNAL_PORT", s.cfg.InternalBind, s.cfg.InternalPort)
}

// checkBind binds the port on bind (BIND or INTERNAL_BIND) as the proxy
// would and lets go at once. A port in use is fine when the proxy holding
// it answers /healthz.
func (s *session) checkBind(variable string, bind netip.Addr, port int) Result {
	host := ""
	where := "all addresses"
	if bind.IsValid() {
		host, where = bind.String(), bind.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := s.o.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return okf("%s %d is free on %s", variable, port, where)
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		rp := s.running()
		if rp.up {
			return okf("%s %d is in use by the running proxy (healthy on %s)", variable, port, rp.addr)
		}
		return failf("%s %d is in use by another program (ss -ltnp 'sport = :%d' names it); set another %s", variable, port, port, variable)
	case errors.Is(err, os.ErrPermission) && port < 1024:
		return failf("%s %d: permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE (or set %s=%d)", variable, port, variable, 8443)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return failf("%s %d: BIND %s is not an address of this host", variable, port, where)
	}
	return failf("%s %d: cannot listen on %s: %s", variable, port, addr, oneLine(pathless(err)))
}
