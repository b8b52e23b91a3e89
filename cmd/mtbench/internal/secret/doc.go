// Package secret parses the client secret the load generator is given, in
// the forms proxy links carry: 32 hex digits (classic), "dd" + 32 hex
// (padded intermediate only) and "ee" + 32 hex + the hex of the FakeTLS
// domain, so one -secret flag names both the key and, for FakeTLS, the SNI.
package secret
