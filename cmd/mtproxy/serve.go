package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/logging"
	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/startup"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// serve runs the proxy until SIGTERM or SIGINT.
func serve(args []string) int {
	sigs := catchSignals()
	defer sigs.stop()
	cfg, warnings, err := config.Load(args, nil)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Print(config.Usage())
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, startup.FatalLine(err))
		return exitConfig
	}
	log, err := logging.New(logging.Config{
		Format: string(cfg.LogFormat), Level: string(cfg.LogLevel), Debug: cfg.Debug,
	}, zapcore.Lock(os.Stderr), logging.IsTerminal(os.Stderr))
	if err != nil {
		fmt.Fprintln(os.Stderr, startup.FatalLine(err))
		return exitConfig
	}
	defer func() { _ = log.Sync() }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startCtx, startCancel := context.WithCancel(ctx)
	defer startCancel()
	endStartup := sigs.startup(startCancel, log)
	a, err := newApp(startCtx, cfg, log)
	hup, stopSig := endStartup()
	if stopSig != nil {
		// Asked to stop while starting: nothing to drain yet.
		if err == nil {
			a.abort()
		}
		log.Info("stopped before start-up finished", zap.Stringer("signal", stopSig))
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, startup.FatalLine(err))
		if errors.Is(err, config.ErrConflict) {
			return exitConfig // settings that cannot work together, found once the network was known
		}
		return exitFailure
	}
	in := startup.FromConfig(cfg, a.externalIP(), warnings)
	in.Files = a.startupFiles()
	for _, line := range startup.Lines(in) {
		fmt.Println(line)
	}
	log.Info("proxy started", append([]zap.Field{zap.String("version", version), zap.Stringer("listen", a.ln.Addr()),
		zap.Stringer("internal", a.httpLn.Addr()), zap.String("mode", string(cfg.Mode))}, webProxyFields(a.web, cfg.WebProxy)...)...)

	failed := a.start(ctx)
	if hup {
		a.reload(ctx)
	}
	for {
		select {
		case s := <-sigs.ch:
			if s == syscall.SIGHUP {
				a.reload(ctx)
				continue
			}
			log.Info("shutting down", zap.Stringer("signal", s), zap.Duration("grace", cfg.ShutdownTimeout))
			return a.shutdown()
		case err := <-failed:
			log.Error("serving failed", zap.Error(err))
			a.shutdown()
			return exitFailure
		}
	}
}
