// Package logging builds the mtproxy binary's zap logger.
//
// The binary reads LOG_FORMAT, LOG_LEVEL and DEBUG into a [Config] and calls
// [New] once; the logger is then handed to the proxy engine, which binds it
// to each connection's scope. Logs go only to the writer given to New
// (stderr in the binary): the logger neither redirects nor wraps stdout, so
// the start-up helper's plain "[+] ..." lines on stdout are unaffected, and
// it replaces no zap or standard-library globals.
//
// Formats: JSON for machines (containers, log shippers), with ts as an
// ISO 8601 UTC time with milliseconds, level, logger, msg and the fields;
// console for people, tab-separated, local time, coloured levels only when
// the output is a terminal. The default picks console on a terminal and JSON
// otherwise. The caller (file:line) is added only at debug level.
//
// A public proxy is probed all day by scanners, and every failed handshake
// would otherwise be a log line. The logger therefore rate-limits repeated
// messages, with this policy:
//
//   - Entries are grouped by level and message text (fields do not count:
//     "handshake failed" from a thousand addresses is one message).
//   - In each one-second window ([SampleTick]) the first [SampleFirst]
//     entries of a message are written, then every [SampleThereafter]th.
//   - A written entry that follows dropped ones carries the field
//     sampled_out, the number of identical entries dropped since the
//     previous one was written, so nothing disappears without a trace.
//   - Error and above are never sampled: problems of the proxy itself (an
//     unreachable Telegram DC, a failed config refresh) always get through.
//     Client-caused failures are therefore to be logged below error level.
//
// Messages are told apart by a hash into a fixed table, so two messages that
// collide share a budget; the table is large enough for that to be rare,
// and even then both messages are still written at least SampleFirst times
// per second between them.
//
// [TraceFields] links a log line to the connection's trace: it adds trace_id
// and span_id from the span in a context.
package logging
