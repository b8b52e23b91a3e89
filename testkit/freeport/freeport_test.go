package freeport

import (
	"fmt"
	"net"
	"testing"
)

// Ports are distinct, below the ephemeral range, and bindable.
func TestGetN(t *testing.T) {
	ports, err := GetN(20)
	if err != nil {
		t.Fatal(err)
	}
	hi := ephemeralStart()
	seen := map[int]bool{}
	for _, p := range ports {
		if p < low || p >= hi || seen[p] {
			t.Fatalf("port %d: want distinct ports in [%d, %d)", p, low, hi)
		}
		seen[p] = true
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d: %v", p, err)
		}
		ln.Close()
	}
}

// A port someone listens on is never returned.
func TestBusyPortSkipped(t *testing.T) {
	p, err := Get()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if free(p) {
		t.Fatalf("port %d reported free while listened on", p)
	}
}
