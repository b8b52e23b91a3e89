// Package tgconfig parses Telegram's middle-proxy list, the text served by
// https://core.telegram.org/getProxyConfig (and getProxyConfigV6), into the
// addresses of the middle proxies of each DC.
//
// Its place in the pipeline: in middle-proxy mode (an ad tag is set), a
// client asking for DC n is served through one of the middle proxies listed
// for n (negative n for media DCs), or through the default DC's when n is
// not listed. A refresher fetches the file, calls Parse, then Validate
// against the running config, and swaps only when both succeed. The package
// is pure: it neither fetches nor resolves anything.
//
// The grammar follows the official parser (parse_config in
// mtproto/mtproto-config.c and common/parse-config.c of
// TelegramMessenger/MTProxy):
//
//	config    = { statement } .
//	statement = ( "proxy_for" dc hostport
//	            | "proxy" hostport                      (legacy: DC 0)
//	            | "default" dc
//	            | "timeout" ms                          (10..30000)
//	            | "min_connections" n                   (1..1000)
//	            | "max_connections" n ) ";" .           (1..1000)
//	dc        = [ "-" ] digits .                        (-32768..32767)
//	hostport  = ( ipv4 | "[" ipv6 "]" ) ":" port .      (1..65535)
//
// Whitespace (spaces, tabs, CR, LF) separates tokens anywhere, and "#"
// starts a comment running to the end of the line. Differences from the
// official parser, each deliberate:
//
//   - Unknown statements are rejected, as the official parser does: a format
//     change should fail the refresh (keeping the running config) rather
//     than be half-understood.
//   - The addresses of one DC must be contiguous; a DC that reappears after
//     another is rejected with ErrIntermixed, as officially ("proxies for dc
//     %d intermixed").
//   - Host names are rejected (ErrHostname): the official parser resolves
//     them, but the published file only holds literals and this package
//     does no I/O.
//   - The official parser checks max_connections against the min in force
//     when it meets the statement (default 4); here min <= max is checked
//     only when both are present, and absent values stay zero for the
//     caller to default.
//   - A file without any proxy_for parses; Validate then reports ErrEmpty
//     (the official parser fails at once).
//   - Repeated default / timeout / min / max statements: the last wins, as
//     officially.
package tgconfig
