package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mtproxy/mtproxy/proxy"
)

// flagSet builds a FlagSet whose flags write into l.v: every setting's long
// flag and the official aliases.
func (l *loader) flagSet() (*flag.FlagSet, map[string]*flagValue) {
	fs := flag.NewFlagSet("mtproxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	byName := map[string]*flagValue{}
	for _, s := range settingTable() {
		if s.flag == "" {
			continue
		}
		fv := &flagValue{l: l, key: s.env, name: "--" + s.flag, inner: s.field(l.v)}
		fs.Var(fv, s.flag, s.usage)
		byName[s.flag] = fv
	}
	for _, a := range aliasTable() {
		s := l.byKey[a.key]
		inner := s.field(l.v)
		if a.wrap != nil {
			inner = a.wrap(l, inner)
		}
		fv := &flagValue{l: l, key: a.key, name: dashed(a.name), example: a.example, inner: inner, noRepeat: a.noRepeat}
		fs.Var(fv, a.name, a.usage)
		byName[a.name] = fv
	}
	return fs, byName
}

// shortWithValue are the official one-letter options taking a value, which
// getopt also accepts glued to the letter ("-p8888", "-M4").
const shortWithValue = "SPHpMCDu"

// unglue splits "-p8888" into "-p", "8888" when "p8888" is not a flag of
// its own, up to a "--".
func unglue(args []string, fs *flag.FlagSet) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.IndexByte(shortWithValue, a[1]) >= 0 {
			name, _, _ := strings.Cut(a[1:], "=")
			if fs.Lookup(name) == nil {
				out = append(out, a[:2], a[2:])
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// parseSource applies one source of flags. Like getopt, positional
// arguments may come between flags; the only one accepted is the official
// config file (PROXY_CONFIG_FILE).
func (l *loader) parseSource(args []string, src source, where string) error {
	l.src = src
	fs, byName := l.flagSet()
	args = unglue(args, fs)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return l.flagError(err, byName, where)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if n := len(args) - len(rest); n > 0 {
			if err := boolValueApart(args[n-1], rest[0], fs); err != nil {
				return err
			}
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if len(positional) > 1 {
		return &Error{Flag: where, Problem: fmt.Sprintf("%d arguments without a flag: %s; only one (the proxy config file) is accepted", len(positional), quote(strings.Join(positional, " "))), Example: "mtproxy -S 00baadf00d15abad1deaa515baadcafe /data/proxy.conf", Err: ErrUsage}
	}
	if len(positional) == 1 {
		fv := &flagValue{l: l, key: "PROXY_CONFIG_FILE", name: "config file argument", inner: &l.v.ProxyConfigFile}
		if err := fv.Set(positional[0]); err != nil {
			return l.err
		}
	}
	return nil
}

// boolValueApart catches "--tls-only false": the flag package takes a bool
// flag alone, so "false" would silently become the config file argument.
func boolValueApart(prev, next string, fs *flag.FlagSet) error {
	name := strings.TrimLeft(prev, "-")
	if !strings.HasPrefix(prev, "-") || strings.Contains(name, "=") {
		return nil
	}
	f := fs.Lookup(name)
	if f == nil {
		return nil
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
		return nil
	}
	switch strings.ToLower(next) {
	case "true", "false", "yes", "no", "on", "off", "1", "0":
		return &Error{Flag: dashed(name), Problem: "takes its value after =, not as the next word " + quote(next), Example: dashed(name) + "=" + next, Err: ErrUsage}
	}
	return nil
}

// flagError rewords the flag package's errors as *Error.
func (l *loader) flagError(err error, byName map[string]*flagValue, where string) error {
	if l.err != nil {
		return l.err
	}
	if errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w", flag.ErrHelp)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		if fv := byName[name]; fv != nil {
			e := l.wrap(invalid("needs a value"), fv.key, fv.name, fv.example)
			e.Err = ErrUsage
			return e
		}
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return &Error{Flag: name, Problem: "is not a known option (" + where + "; run with --help for the list)", Example: "--port=443 or -S 00baadf00d15abad1deaa515baadcafe", Err: ErrUsage}
	}
	return &Error{Flag: where, Problem: msg, Example: "--port=443", Err: ErrUsage}
}

// httpPorts maps the official -H (a comma list of client ports) onto PORT:
// one port only.
func httpPorts(_ *loader, port flag.Value) flag.Value {
	return wrapped{inner: port, set: func(s string) error {
		var ports []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ports = append(ports, p)
			}
		}
		if len(ports) > 1 {
			return invalid(quote(s) + " lists several ports; one client port is supported (run one proxy per port)")
		}
		return port.Set(s)
	}}
}

// slaves maps the official -M: 0 meant "no worker processes" (one process).
func slaves(_ *loader, workers flag.Value) flag.Value {
	return wrapped{inner: workers, set: func(s string) error {
		if strings.TrimSpace(s) == "0" {
			s = "1"
		}
		return workers.Set(s)
	}}
}

// perWorker maps the official -C; 0 meant "no limit", which is not offered.
func perWorker(l *loader, limit flag.Value) flag.Value {
	return wrapped{inner: limit, set: func(s string) error {
		if strings.TrimSpace(s) == "0" {
			l.warn(fmt.Sprintf("-C 0 (no connection limit) is not supported; the default limit of %d per worker applies", proxy.DefaultMaxConnections))
			return nil
		}
		return limit.Set(s)
	}}
}

// ignored accepts an official option that means nothing here, with a
// warning.
func ignored(msg string) func(*loader, flag.Value) flag.Value {
	return func(l *loader, inner flag.Value) flag.Value {
		return wrapped{inner: inner, set: func(s string) error {
			l.warn(msg)
			return inner.Set(s)
		}}
	}
}

// wrapped is a flag.Value whose Set is replaced; the rest is inner's.
type wrapped struct {
	inner flag.Value
	set   func(string) error
}

func (w wrapped) Set(s string) error { return w.set(s) }

func (w wrapped) String() string {
	if w.inner == nil {
		return ""
	}
	return w.inner.String()
}

func (w wrapped) IsBoolFlag() bool {
	b, ok := w.inner.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
