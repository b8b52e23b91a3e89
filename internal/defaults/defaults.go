// Package defaults is the module's one way of filling in options. It sits
// under every package that takes an Options struct (the engine and its
// upstreams in proxy/..., metrics, the commands), none of which it imports.
//
// The convention: every Options field documents its default next to an
// exported constant ("Default: DefaultIdleTimeout (5m)"), and the package's
// New (or its withDefaults) fills the zero fields with [Set]. Numbers for
// which a negative value means nothing either (a timeout, a count) use
// [SetPositive], so a negative value gets the default too; fields whose
// negative value has a meaning ("negative disables") use Set, which keeps
// it. Fields of a type Set cannot compare (funcs, slices) are filled with
// a plain nil or length check.
package defaults

// Set sets *v to def when *v is the zero value of its type.
func Set[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Number is what SetPositive accepts: integers and the types built on them
// (time.Duration, byte counts).
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64
}

// SetPositive sets *v to def when *v is zero or negative.
func SetPositive[T Number](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
