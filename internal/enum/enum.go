// Package enum names the module's enumerations: closed sets of integer
// constants whose names are metric labels, log fields, span attributes or
// command-line words. Every package from the engine (proxy/...) to the
// commands names its enums the same way, with a table indexed by the
// constants and a compile-time check that it has one entry per value:
//
//	var protocolNames = [...]string{ProtoUnknown: "unknown", ProtoAbridged: "abridged", ...}
//
//	// One name per Protocol: a missing or extra name does not compile.
//	var _ = [1]struct{}{}[len(protocolNames)-int(numProtocols)]
//
//	func (p Protocol) String() string { return enum.Name(protocolNames[:], p) }
//
// Enums whose values are not small consecutive integers (wire constants
// such as rpc.Type, IP versions) keep a switch.
package enum

// Integer is the underlying type of an enumeration.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Unknown is the name of a value outside its enumeration.
const Unknown = "unknown"

// Name returns names[v], or Unknown when v is outside the table or has no
// name (the unused zero of an enumeration starting at 1).
func Name[E Integer](names []string, v E) string {
	// A negative v converts to a huge uint64: outside the table too.
	if uint64(v) < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return Unknown
}

// Parse returns the value named s in names, and false when none is.
func Parse[E Integer](names []string, s string) (E, bool) {
	for i, n := range names {
		if n != "" && n == s {
			return E(i), true
		}
	}
	return 0, false
}
