// Package rawtcp accepts, reads and closes client TCP connections with
// raw system calls, so that a connection's life does not wake the Go
// runtime's monitor thread (sysmon).
//
// It sits under the engine's accept loop (proxy.Proxy.Serve): the
// listener it wraps hands out *Conn, which the engine reads and writes
// through rawio like any socket.
//
// Why: an ordinary system call (syscall.Syscall, which net's accept,
// read and close use) wakes sysmon when every P was idle, and a woken
// sysmon polls every 20 µs for the next millisecond, each poll a
// nanosleep and two context switches on the proxy's CPU. A proxy whose
// work comes in bursts (every handshake) pays that on every burst: about
// a sixth of the CPU of a middle-mode handshake on one core. Here accept4
// and reads are raw calls on non-blocking sockets (they never wait: the
// runtime poller waits), the socket options that Go sets per accepted
// connection (TCP_NODELAY, keepalive) are set once on the listening
// socket, whose options Linux copies to the sockets it accepts, and
// Close sends the FIN at once with a raw shutdown(2) but leaves close(2),
// which must go through the poller's bookkeeping, to a batch run every
// few milliseconds: one ordinary call per batch instead of several per
// connection.
//
// A Conn behaves as a *net.TCPConn does for the engine: Close unblocks a
// pending Read or Write at once with net.ErrClosed, deadlines work, and
// CloseWrite half-closes. It is Linux only; elsewhere Wrap declines and
// the engine keeps net's connections.
package rawtcp
