package main

import "testing"

func TestHealthHost(t *testing.T) {
	for bind, want := range map[string]string{
		"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "127.0.0.1",
		"127.0.0.2": "127.0.0.2", "10.1.2.3": "10.1.2.3", "::1": "::1", "junk": "127.0.0.1",
	} {
		if got := healthHost(bind); got != want {
			t.Errorf("BIND=%q: %s, want %s", bind, got, want)
		}
	}
}
