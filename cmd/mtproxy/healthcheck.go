package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// healthcheck asks the local proxy's /healthz and exits 0 when it answers
// 200: the Docker HEALTHCHECK, with no curl in the image.
func healthcheck(args []string) int {
	port := os.Getenv("INTERNAL_PORT")
	if len(args) > 0 {
		port = args[0]
	}
	if port == "" {
		port = "2398"
	}
	if _, err := strconv.Atoi(port); err != nil {
		fmt.Fprintf(os.Stderr, "healthcheck: INTERNAL_PORT %q is not a port\n", port)
		return exitConfig
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	bind := os.Getenv("INTERNAL_BIND")
	if bind == "" {
		bind = os.Getenv("BIND")
	}
	url := "http://" + net.JoinHostPort(healthHost(bind), port) + "/healthz"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return exitFailure
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck:", resp.Status)
		return exitFailure
	}
	return exitOK
}

// healthHost is where the internal port answers: loopback when the proxy
// listens on every address, else the INTERNAL_BIND (or BIND) address
// itself. /healthz must allow the peer (HEALTH_ALLOW, by default
// METRICS_ALLOW, which holds loopback).
func healthHost(bind string) string {
	a, err := netip.ParseAddr(bind)
	if err != nil || a.IsUnspecified() {
		return "127.0.0.1"
	}
	return a.String()
}
