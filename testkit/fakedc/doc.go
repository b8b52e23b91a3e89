// Package fakedc is a fake Telegram DC on loopback, the far end of the proxy
// in end-to-end tests, benchmarks and the load generator.
//
//	test client ──obfuscated2 (secret)──► proxy ──obfuscated2 (no secret)──► fake DC
//
// The proxy dials DCs from a table of addresses; pointing every entry at
// [DC.Addr] makes this package the whole of "Telegram". A DC accepts the
// proxy's 64-byte header the way a real DC does (obfuscated2.AcceptDC: the
// key material is the key, no secret), records the connection (DC id and
// transport from the header, packets, bytes) and then, per [Mode]:
//
// Packets mode parses the transport framing named by the header's tag
// (abridged, intermediate, padded) and answers packet by packet:
//
//   - req_pq_multi gets a resPQ with the same nonce, pq 0x17ED48941A08F981
//     and fingerprint 0x0bc35f3509f7b7a5, which makes Telethon go on with
//     req_DH_params (see package mtproto);
//   - req_DH_params is recorded ([DC.WaitReqDH]) and answered with nothing,
//     or with a close ([Options.CloseOnReqDH]): a DC without Telegram's RSA
//     key cannot go further, and the message already proves both directions;
//   - a bulk control request starts a transfer (below);
//   - any other packet is echoed back unchanged, so a test client can check
//     its data crossed the proxy both ways.
//
// A packet with the quick-ACK bit set is answered first with the token
// [QuickAckToken](packet), then as above: tests can predict the token and
// check the proxy relays it.
//
// Raw mode does no framing: the decrypted stream is re-encrypted and echoed
// as it comes, for throughput tests and the load generator. Each connection
// owns a 2 KiB read buffer and borrows a pooled 64 KiB one only while its
// reads fill the small one, so 10k idle connections cost little (one
// goroutine, 2 KiB and the AES states each) and a busy one does not
// allocate per read.
//
// # Bulk transfers
//
// For asymmetric tests (a fast DC and a slow client, to check the proxy's
// backpressure; or an upload) the client sends a 24-byte [BulkRequest]: as
// one packet in Packets mode, as the first bytes of the stream in Raw mode.
// OpDownload makes the DC stream a known byte pattern ([FillPattern]) as
// fast as the peer takes it; OpUpload makes it consume and check the pattern
// and answer with a [BulkReport]. See [BulkMagic] for the layout.
//
// # Observing
//
// [DC.Conns] snapshots every connection, [DC.Stats] gives totals, and
// [DC.WaitReqDH], [DC.WaitFor] and [DC.WaitStats] wait for what a test
// expects. [Start] ties a DC to a test; [New] and [DC.Close] serve the load
// generator. Close ends every connection and waits for their goroutines.
package fakedc
