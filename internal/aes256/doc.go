// Package aes256 is AES-256 in the two modes on the proxy's hot paths,
// with AES-NI assembly on amd64 and the standard library's elsewhere. The
// result is byte for byte the standard library's (see the tests).
//
// CBC is the middle-proxy RPC stream's cipher (proxy/rpc): every byte a
// middle-mode client sends or receives is encrypted or decrypted with it
// once. The standard library's CBC runs one block at a time through a
// function call per block (about 30% of the proxy's CPU time in a
// middle-mode echo benchmark, against OpenSSL's pipelined AES-NI loops in
// the official proxy). Here the whole buffer goes through one assembly
// loop: encryption block after block (CBC encryption is serial by nature),
// decryption four blocks at a time (CBC decryption is parallel).
//
// CTR is obfuscated2's cipher (proxy/obfuscated2): each client holds two
// streams, and a direct-mode client two more towards its DC, for as long
// as it is connected, idle or not. The standard library's CTR state is 512
// bytes, since it copies the whole cipher block with its decryption round
// keys, which CTR never uses, and building it allocates that block a
// second time. This one holds the encryption round keys, the counter and
// one block of keystream (288 bytes), allocated once, and runs eight
// blocks at a time, as the standard library's does.
package aes256
