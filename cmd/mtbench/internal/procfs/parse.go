package procfs

import (
	"bytes"
	"fmt"
	"strconv"
)

// ParseStatus extracts VmRSS, VmHWM and RssAnon from the contents of
// /proc/<pid>/status. VmRSS is required; the others are 0 when absent
// (kernels before 4.5 lack RssAnon).
func ParseStatus(b []byte) (Memory, error) {
	var m Memory
	haveRSS := false
	for line := range bytes.Lines(b) {
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmRSS":
			dst, haveRSS = &m.RSS, true
		case "VmHWM":
			dst = &m.HWM
		case "RssAnon":
			dst = &m.RSSAnon
		default:
			continue
		}
		n, err := parseKB(val)
		if err != nil {
			return Memory{}, fmt.Errorf("%w: %s: %w", ErrFormat, key, err)
		}
		*dst = n
	}
	if !haveRSS {
		return Memory{}, fmt.Errorf("%w: no VmRSS line", ErrFormat)
	}
	return m, nil
}

// parseKB parses "   1234 kB" into bytes.
func parseKB(v []byte) (int64, error) {
	f := bytes.Fields(v)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("want \"<n> kB\", got %q", bytes.TrimSpace(v))
	}
	n, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || n < 0 || n > 1<<43 {
		return 0, fmt.Errorf("bad size %q", f[0])
	}
	return n << 10, nil
}

// ParseStatTicks returns utime + stime, in clock ticks, from the contents of
// /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func ParseStatTicks(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: stat has no command name", ErrFormat)
	}
	// After ")": state(3) ppid(4) ... utime(14) stime(15).
	f := bytes.Fields(b[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("%w: stat has %d fields after the name", ErrFormat, len(f))
	}
	u, err1 := strconv.ParseUint(string(f[utime]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[stime]), 10, 64)
	if err1 != nil || err2 != nil || u > 1<<62 || s > 1<<62 {
		return 0, fmt.Errorf("%w: bad utime/stime %q %q", ErrFormat, f[utime], f[stime])
	}
	return u + s, nil
}

// tcpListen is the st value of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// ParseListenInodes returns the inodes of the sockets in LISTEN state on
// port, from the contents of /proc/net/tcp or /proc/net/tcp6 (any address).
func ParseListenInodes(b []byte, port uint16) ([]uint64, error) {
	var inodes []uint64
	first := true
	for line := range bytes.Lines(b) {
		if first { // the header
			first = false
			continue
		}
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("%w: net/tcp line with %d fields", ErrFormat, len(f))
		}
		colon := bytes.LastIndexByte(f[1], ':')
		if colon < 0 {
			return nil, fmt.Errorf("%w: net/tcp local address %q", ErrFormat, f[1])
		}
		p, err := strconv.ParseUint(string(f[1][colon+1:]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: net/tcp port %q", ErrFormat, f[1][colon+1:])
		}
		if uint16(p) != port || string(f[3]) != tcpListen {
			continue
		}
		ino, err := strconv.ParseUint(string(f[9]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: net/tcp inode %q", ErrFormat, f[9])
		}
		inodes = append(inodes, ino)
	}
	return inodes, nil
}
