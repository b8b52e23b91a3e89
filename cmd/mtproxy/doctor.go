package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	doc "github.com/mtproxy/mtproxy/cmd/mtproxy/internal/doctor"
)

// doctor is `mtproxy doctor`: it checks everything the proxy depends on
// with the proxy's own settings, prints the report on stdout and exits 0
// when no check failed, 1 when one did, 2 for a bad command line.
func doctor(args []string) int {
	cmd, err := doc.ParseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Print(doc.Usage() + config.Usage())
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names doctor already
		return exitConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := doc.Diagnose(ctx, cmd.ConfigArgs, cmd.Options)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitConfig
	}
	write := rep.WriteText
	if cmd.JSON {
		write = rep.WriteJSON
	}
	if err := write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "doctor:", err)
		return exitFailure
	}
	if rep.Failed() {
		return exitFailure
	}
	return exitOK
}
