// Package procfs reads what the load generator reports about the proxy
// under test from Linux's /proc: its resident memory (/proc/<pid>/status),
// its CPU time (/proc/<pid>/stat), every CPU's busy time (/proc/stat: is the
// proxy's core or the load generator's the bottleneck?), and which process
// listens on a TCP port
// (/proc/net/tcp{,6} for the socket inode, then /proc/<pid>/fd for its owner),
// so a proxy can be named by its address instead of its pid.
//
// The parsers are pure functions over file contents; [FS] does the reading
// and takes its root as a field so tests can point it at a fake tree.
package procfs
