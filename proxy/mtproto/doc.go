// Package mtproto holds the few MTProto TL pieces that prove bytes crossed
// to Telegram and back: the unencrypted message envelope, req_pq_multi,
// resPQ and req_DH_params, and message ids.
//
// The proxy's DC probe (health/dcprobe) sends req_pq_multi with a fresh
// nonce and accepts a DC as up only when a resPQ carrying that nonce comes
// back: a TCP connect alone proves nothing on a network that accepts every
// connection. The test kit uses the same pieces to check a proxy relays
// both ways:
//
//	DC probe / test client / Telethon ──req_pq_multi──► (proxy) ──► DC / fake DC
//	DC probe / test client / Telethon ◄──resPQ───────── (proxy) ◄── DC / fake DC
//	Telethon ──req_DH_params (340 bytes)───► proxy ──► fake DC records it
//
// An unencrypted message (https://core.telegram.org/mtproto/description) is
//
//	auth_key_id int64 = 0 | msg_id int64 | message_data_length int32 | message_data
//
// all little-endian. The bodies built and parsed here are
//
//	req_pq_multi   0xbe7e8ef1 | nonce int128                       (20 bytes)
//	resPQ          0x05162463 | nonce int128 | server_nonce int128 |
//	               pq bytes | vector<long> fingerprints (0x1cb5c415 | count | longs)
//	req_DH_params  0xd712e4be | nonce | server_nonce | p bytes | q bytes |
//	               public_key_fingerprint long | encrypted_data bytes
//
// where "bytes" is the TL string encoding (see [AppendBytes]).
//
// With [DefaultPQ] 0x17ED48941A08F981 (= 1229739323 * 1402015859) and
// [DefaultFingerprint] 0x0bc35f3509f7b7a5, the fingerprint of one of the
// current (not "old") RSA keys Telethon 1.25.1 ships in telethon/crypto/rsa.py,
// Telethon factorises pq, RSA-encrypts a 255-byte block with that key and
// sends req_DH_params: a 320-byte body (4 + 16 + 16 + 8 + 8 + 8 + 260) in a
// 340-byte message. A fake DC cannot answer it meaningfully (it has no
// private key), but its arrival proves the resPQ reached the client intact.
//
// Message ids follow the MTProto rules: about unix time * 2^32, strictly
// increasing per sender, divisible by 4 from a client, 1 mod 4 for a server's
// response and 3 mod 4 for a server's other messages ([MsgIDs]).
//
// The package is pure: no I/O, no logging, no goroutines.
package mtproto
