package procfs

import (
	"errors"
	"os"
	"testing"
)

const statSample = `cpu  529846 0 231278 2426400 2432 0 14876 0 0 0
cpu0 265160 0 112906 1217364 710 0 6824 0 0 0
cpu1 264686 3 118371 1209036 1721 10 8052 5 100 0
intr 25471434 0 0
ctxt 1
`

func TestParseCPUStat(t *testing.T) {
	cpus, err := ParseCPUStat([]byte(statSample))
	if err != nil {
		t.Fatal(err)
	}
	want := []CPUTicks{
		{Busy: 265160 + 112906 + 6824, Total: 265160 + 112906 + 6824 + 1217364 + 710},
		// guest (100) is inside user already: not added.
		{Busy: 264686 + 3 + 118371 + 10 + 8052 + 5, Total: 264686 + 3 + 118371 + 10 + 8052 + 5 + 1209036 + 1721},
	}
	if len(cpus) != 2 || cpus[0] != want[0] || cpus[1] != want[1] {
		t.Errorf("got %+v, want %+v", cpus, want)
	}
	// An offline CPU between online ones stays zero.
	cpus, err = ParseCPUStat([]byte("cpu0 1 0 1 2 0 0 0 0\ncpu2 1 0 1 2 0 0 0 0\n"))
	if err != nil || len(cpus) != 3 || cpus[1] != (CPUTicks{}) || cpus[2].Total != 4 {
		t.Errorf("sparse: %+v %v", cpus, err)
	}
	for _, s := range []string{"", "cpu 1 2 3\n", "cpux 1 2 3 4 5 6 7 8\n", "cpu0 1 2 3\n", "cpu0 1 2 3 4 5 6 7 -8\n", "cpu99999 1 2 3 4 5 6 7 8\n"} {
		if _, err := ParseCPUStat([]byte(s)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestBusyBetween(t *testing.T) {
	before := []CPUTicks{{Busy: 100, Total: 200}, {Busy: 50, Total: 100}, {Busy: 5, Total: 5}}
	after := []CPUTicks{{Busy: 175, Total: 300}, {Busy: 50, Total: 200}, {Busy: 5, Total: 5}}
	got := BusyBetween(before, after)
	if len(got) != 3 || got[0] != 0.75 || got[1] != 0 || got[2] != 0 {
		t.Errorf("got %v", got)
	}
	// Counters going backwards (a reset, a different machine) give 0.
	if got := BusyBetween(after, before); got[0] != 0 {
		t.Errorf("backwards: %v", got)
	}
}

func TestRealCPUs(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no procfs")
	}
	cpus, err := FS{}.CPUs()
	if err != nil || len(cpus) == 0 || cpus[0].Total == 0 {
		t.Errorf("%+v %v", cpus, err)
	}
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add([]byte(statSample))
	f.Fuzz(func(t *testing.T, b []byte) {
		cpus, err := ParseCPUStat(b)
		if err != nil {
			return
		}
		for _, c := range cpus {
			if c.Busy > c.Total {
				t.Fatalf("busy %d > total %d", c.Busy, c.Total)
			}
		}
	})
}
