package metrics

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
)

// maxStatusSize bounds what is read of the status file (a few KiB on
// Linux).
const maxStatusSize = 64 << 10

// readMemory reads VmSize, VmRSS and VmData from a /proc/<pid>/status file;
// the zero Memory where it cannot be read (not Linux, no procfs).
func readMemory(path string) Memory {
	f, err := os.Open(path)
	if err != nil {
		return Memory{}
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, maxStatusSize))
	return parseStatus(data)
}

// parseStatus extracts the memory lines of a /proc/<pid>/status file:
// "VmSize:\t  123456 kB". A line that does not parse leaves its value at
// zero; values saturate rather than overflow.
func parseStatus(data []byte) Memory {
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 256), maxStatusSize)
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "VmSize":
			dst = &m.VMSize
		case "VmRSS":
			dst = &m.VMRSS
		case "VmData":
			dst = &m.VMData
		default:
			continue
		}
		*dst = parseKB(val)
	}
	return m
}

// parseKB parses "  123456 kB" into bytes; 0 when malformed.
func parseKB(v []byte) uint64 {
	fields := bytes.Fields(v)
	if len(fields) != 2 || string(fields[1]) != "kB" {
		return 0
	}
	n, err := strconv.ParseUint(string(fields[0]), 10, 64)
	if err != nil {
		return 0
	}
	if n > (1<<64-1)>>10 {
		return 1<<64 - 1
	}
	return n << 10
}
