package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// CPUTicks is one CPU's time from /proc/stat, in clock ticks.
type CPUTicks struct {
	Busy  uint64 // user, nice, system, irq, softirq, steal
	Total uint64 // Busy plus idle and iowait
}

// CPUs reads every CPU's time since boot from /proc/stat, indexed by CPU
// number.
func (fs FS) CPUs() ([]CPUTicks, error) {
	b, err := os.ReadFile(fs.path("stat"))
	if err != nil {
		return nil, fmt.Errorf("procfs: cpu times: %w", err)
	}
	cpus, err := ParseCPUStat(b)
	if err != nil {
		return nil, fmt.Errorf("procfs: cpu times: %w", err)
	}
	return cpus, nil
}

// maxCPUs bounds the CPU numbers ParseCPUStat accepts.
const maxCPUs = 1 << 12

// ParseCPUStat reads the per-CPU "cpuN" lines of /proc/stat (the summary
// "cpu" line is skipped): user nice system idle iowait irq softirq steal
// [guest guest_nice]. Guest time is already part of user time, so it is not
// added again. A CPU missing from the file (offline) is left zero.
func ParseCPUStat(b []byte) ([]CPUTicks, error) {
	var cpus []CPUTicks
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) == 0 || !bytes.HasPrefix(f[0], []byte("cpu")) || len(f[0]) == 3 {
			continue
		}
		n, err := strconv.Atoi(string(f[0][3:]))
		if err != nil || n < 0 || n >= maxCPUs {
			return nil, fmt.Errorf("%w: stat line %q", ErrFormat, f[0])
		}
		if len(f) < 9 {
			return nil, fmt.Errorf("%w: %s has %d fields", ErrFormat, f[0], len(f)-1)
		}
		var v [8]uint64
		for i := range v {
			if v[i], err = strconv.ParseUint(string(f[i+1]), 10, 64); err != nil || v[i] > 1<<56 {
				return nil, fmt.Errorf("%w: %s field %d", ErrFormat, f[0], i+1)
			}
		}
		idle := v[3] + v[4]
		busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		for len(cpus) <= n {
			cpus = append(cpus, CPUTicks{})
		}
		cpus[n] = CPUTicks{Busy: busy, Total: busy + idle}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("%w: no cpuN lines", ErrFormat)
	}
	return cpus, nil
}

// BusyBetween returns each CPU's busy fraction (0..1) between two readings;
// a CPU without ticks in between (offline) gets 0.
func BusyBetween(before, after []CPUTicks) []float64 {
	out := make([]float64, min(len(before), len(after)))
	for i := range out {
		total := after[i].Total - before[i].Total
		busy := after[i].Busy - before[i].Busy
		if after[i].Total < before[i].Total || after[i].Busy < before[i].Busy || total == 0 {
			continue
		}
		out[i] = float64(busy) / float64(total)
	}
	return out
}
