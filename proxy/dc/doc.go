// Package dc knows where Telegram's datacenters are and how to reach them.
//
// In direct mode an authenticated client names a DC id in its obfuscated2
// header; the proxy looks the id up here ([Table.Lookup]: built-in addresses,
// overridden per DC by DC_ADDRS, which the binary's config parses), and dials the addresses in preference order
// with a per-attempt timeout, falling back to the next address on failure
// ([Dialer]). [Result] is the closed set of outcomes of an exchange with a
// Telegram address, shared by the dials and the health probe
// (health/dcprobe), which measures the same addresses periodically at the
// MTProto level so an operator sees a DC go dark before clients complain.
package dc
