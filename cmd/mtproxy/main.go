// Command mtproxy is an MTProto proxy for Telegram, a drop-in successor of
// the mtproxy/mtproxy Docker image: the same environment variables, start-up
// lines and /stats page, plus FakeTLS, Prometheus metrics, traces and
// health checks.
//
//	mtproxy [flags]          run the proxy (the container's entry point)
//	mtproxy doctor [flags]   check clock, addresses, DCs and config, then exit
//	mtproxy healthcheck      exit 0 when the local proxy answers /healthz (Docker HEALTHCHECK)
//	mtproxy version          print the version
//
// Settings come from the environment (see the README) and the same-named
// flags; ARGS holds extra flags, as in the seed image.
package main

import (
	"fmt"
	"os"
)

func main() { os.Exit(run(os.Args[1:])) }

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a run-time failure (a port taken, a check failed)
	exitConfig  = 2 // bad configuration
)

func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "doctor":
			return doctor(args[1:])
		case "healthcheck":
			return healthcheck(args[1:])
		case "version", "--version":
			fmt.Println(versionString())
			return exitOK
		}
	}
	return serve(args)
}
