// Package freeport picks loopback TCP ports for the processes a test starts
// (the proxy binary, redis-server, Prometheus), which must bind the port
// themselves: the test cannot hand them a listener.
//
// Ports come from below the kernel's ephemeral range. A port from that
// range, which is what Listen("127.0.0.1:0") returns, can be taken between
// the pick and the child's bind as the local port of any outgoing
// connection on the machine; with two test suites side by side the proxy
// then failed to start ("INTERNAL_PORT: cannot listen on 127.0.0.1:35981:
// the port is already in use").
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
)

const (
	// low is the lowest port picked: above the well-known and most
	// registered service ports.
	low = 10000
	// defaultEphemeral is Linux's default start of the ephemeral range.
	defaultEphemeral = 32768
	// tries bounds the random picks before giving up.
	tries = 1000
)

// ErrNoPort means no free port was found below the ephemeral range.
var ErrNoPort = errors.New("freeport: no free loopback port below the ephemeral range")

// Get returns a loopback TCP port nobody listens on right now, outside the
// ephemeral range.
func Get() (int, error) {
	ports, err := GetN(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// GetN returns n distinct such ports.
func GetN(n int) ([]int, error) {
	hi := ephemeralStart()
	if hi-low < 1000 {
		return nil, fmt.Errorf("%w: the ephemeral range starts at %d", ErrNoPort, hi)
	}
	ports := make([]int, 0, n)
	seen := make(map[int]bool, n)
	for range tries {
		if len(ports) == n {
			break
		}
		p := low + rand.IntN(hi-low)
		if seen[p] || !free(p) {
			continue
		}
		seen[p] = true
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, ErrNoPort
	}
	return ports, nil
}

// free reports whether a listener can be opened on 127.0.0.1:p now.
func free(p int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}

// ephemeralStart is the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeral
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || lo <= 0 {
		return defaultEphemeral
	}
	return lo
}
