// Package rawio reads and writes non-blocking sockets with raw system
// calls, through their runtime poller (syscall.RawConn).
//
// It sits under the relay's hot paths: the engine's pumps and client
// writes, the middle proxy's RPC connections. A socket call made with
// syscall.Read or net.Conn enters the runtime's system-call state, and a
// call that lasts longer than about 20 µs (a 16 KiB write on loopback
// runs the receiver's TCP path inline) lets the runtime's monitor hand
// the thread's P to another thread: two context switches and a futex
// wake-up each, and a monitor that polls every 20 µs while it happens.
// A socket here is non-blocking, so a call never waits: it returns
// EAGAIN and the poller waits instead. Made raw, the call keeps its P.
//
// The callbacks that RawConn.Read and Write take are bound once, in an
// [Op] (pooled by [Pool]) or a [Conn], so nothing is allocated per call.
package rawio
