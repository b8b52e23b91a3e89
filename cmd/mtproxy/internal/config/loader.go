package config

import (
	"flag"
	"io"
	"strings"
)

// source is where a value came from, in increasing precedence.
type source int

const (
	srcDefault source = iota
	srcEnv
	srcArgs    // the ARGS variable (the seed's extra flags)
	srcCommand // the command line
)

// loader applies the sources to one values and remembers, per setting,
// which source set it last.
type loader struct {
	v     *values
	rand  io.Reader
	byKey map[string]setting
	src   source
	setBy map[string]source
	err   *Error // first error from a flag value (the flag package rewords it)
	warns []Warning
	seen  map[string]bool // warnings already given
}

func newLoader(rand io.Reader) *loader {
	l := &loader{v: newValues(), rand: rand, byKey: map[string]setting{}, setBy: map[string]source{}, seen: map[string]bool{}}
	for _, s := range settingTable() {
		l.byKey[s.env] = s
	}
	return l
}

func (l *loader) warn(msg string) {
	if !l.seen[msg] {
		l.seen[msg] = true
		l.warns = append(l.warns, Warning(msg))
	}
}

// flagValue is a flag bound to a setting's field: it keeps the precedence
// bookkeeping and turns a value's problem into an *Error naming the flag.
type flagValue struct {
	l        *loader
	key      string // setting key
	name     string // "-H", "--port"
	example  string
	inner    flag.Value
	noRepeat bool
}

func (f *flagValue) Set(s string) error {
	var err error
	again := f.l.setBy[f.key] == f.l.src
	switch a, ok := f.inner.(appender); {
	case again && ok:
		err = a.Append(s)
	case again && f.noRepeat:
		err = invalid("is given twice; only one value is supported")
	default:
		err = f.inner.Set(s)
	}
	if err != nil {
		if f.l.err == nil {
			f.l.err = f.l.wrap(err, f.key, f.name, f.example)
		}
		return err
	}
	if strings.TrimSpace(s) != "" {
		f.l.setBy[f.key] = f.l.src
	}
	return nil
}

func (f *flagValue) String() string {
	if f == nil || f.inner == nil {
		return ""
	}
	return f.inner.String()
}

// IsBoolFlag forwards the inner value's kind to the flag package.
func (f *flagValue) IsBoolFlag() bool {
	b, ok := f.inner.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// wrap turns a value problem into an *Error. name is the flag as written,
// "" for the environment.
func (l *loader) wrap(err error, key, name, example string) *Error {
	e := &Error{Problem: err.Error(), Err: ErrInvalid}
	if p, ok := err.(*problem); ok && p.err != nil {
		e.Err = p.err
	}
	if !strings.HasPrefix(key, "-") {
		e.Var = key
	}
	s := l.byKey[key]
	if example == "" {
		example = s.example
	}
	switch {
	case name == "":
		e.Example = key + "=" + example
	case strings.HasPrefix(name, "--"):
		e.Example = name + "=" + example
	default:
		e.Example = name + " " + example
	}
	e.Flag = name
	return e
}

// dashed renders a flag name the way users write it.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
