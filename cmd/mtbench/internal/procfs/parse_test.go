package procfs

import (
	"errors"
	"slices"
	"testing"
)

const statusSample = `Name:	mtproxy
Umask:	0022
State:	S (sleeping)
VmPeak:	 1261544 kB
VmHWM:	   20312 kB
VmRSS:	   18204 kB
RssAnon:	    9640 kB
RssFile:	    8564 kB
Threads:	7
`

func TestParseStatus(t *testing.T) {
	m, err := ParseStatus([]byte(statusSample))
	if err != nil {
		t.Fatal(err)
	}
	want := Memory{RSS: 18204 << 10, HWM: 20312 << 10, RSSAnon: 9640 << 10}
	if m != want {
		t.Errorf("got %+v, want %+v", m, want)
	}
	// An old kernel without RssAnon.
	m, err = ParseStatus([]byte("VmRSS:\t 4 kB\n"))
	if err != nil || m != (Memory{RSS: 4096}) {
		t.Errorf("minimal: %+v, %v", m, err)
	}
}

func TestParseStatusMalformed(t *testing.T) {
	for _, s := range []string{
		"",
		"Name: x\nVmHWM: 1 kB\n",   // no VmRSS
		"VmRSS: 12\n",              // no unit
		"VmRSS: 12 MB\n",           // wrong unit
		"VmRSS: -1 kB\n",           // negative
		"VmRSS: x kB\n",            // not a number
		"VmRSS: 1 kB\nVmHWM: kB\n", // broken optional field
		"VmRSS: 99999999999999999999 kB\n",
	} {
		if _, err := ParseStatus([]byte(s)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", s, err)
		}
	}
}

func TestParseStatTicks(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := "4242 (evil) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 7 0 100 1000 200 18446744073709551615\n"
	got, err := ParseStatTicks([]byte(stat))
	if err != nil || got != 1234+567 {
		t.Errorf("got %d, %v; want 1801", got, err)
	}
	for _, s := range []string{
		"",
		"1 (x S 1 2 3",
		"1 (x) S 1 2 3 4 5 6 7 8 9 10",           // too short
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 x 5 0 0 0", // utime not a number
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 1 -5 0 0",  // negative stime
	} {
		if _, err := ParseStatTicks([]byte(s)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", s, err)
		}
	}
}

const netTCPSample = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 238491 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 238777 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
`

const netTCP6Sample = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0
`

func TestParseListenInodes(t *testing.T) {
	got, err := ParseListenInodes([]byte(netTCPSample), 8080)
	if err != nil || !slices.Equal(got, []uint64{238491}) {
		t.Errorf("port 8080: %v, %v (the established socket must not count)", got, err)
	}
	got, err = ParseListenInodes([]byte(netTCPSample), 80)
	if err != nil || !slices.Equal(got, []uint64{111}) {
		t.Errorf("port 80: %v, %v", got, err)
	}
	got, err = ParseListenInodes([]byte(netTCPSample), 443)
	if err != nil || len(got) != 0 {
		t.Errorf("port 443: %v, %v", got, err)
	}
	got, err = ParseListenInodes([]byte(netTCP6Sample), 8080)
	if err != nil || !slices.Equal(got, []uint64{999}) {
		t.Errorf("tcp6: %v, %v", got, err)
	}
	for _, s := range []string{
		"hdr\n 0: 0100007F:1F90 0 0A\n",                           // short
		"hdr\n 0: 0100007F 00000000:0000 0A 0 0 0 0 0 1\n",        // no port
		"hdr\n 0: 0100007F:XYZW 00000000:0000 0A 0 0 0 0 0 1\n",   // bad port
		"hdr\n 0: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 ino\n", // bad inode
	} {
		if _, err := ParseListenInodes([]byte(s), 8080); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", s, err)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(statusSample))
	f.Add([]byte("VmRSS: 1 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseStatus(b)
		if err == nil && (m.RSS < 0 || m.HWM < 0 || m.RSSAnon < 0 || m.RSS%1024 != 0) {
			t.Fatalf("accepted impossible memory %+v", m)
		}
	})
}

func FuzzParseStatTicks(f *testing.F) {
	f.Add([]byte("4242 (evil) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 7 0 100 1000 200\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ticks, err := ParseStatTicks(b)
		if err == nil && ticks > 1<<63 {
			t.Fatalf("ticks %d overflowed", ticks)
		}
	})
}

func FuzzParseListenInodes(f *testing.F) {
	f.Add([]byte(netTCPSample), uint16(8080))
	f.Add([]byte(netTCP6Sample), uint16(8080))
	f.Fuzz(func(t *testing.T, b []byte, port uint16) {
		inodes, err := ParseListenInodes(b, port)
		if err != nil && len(inodes) != 0 {
			t.Fatal("inodes returned with an error")
		}
	})
}
