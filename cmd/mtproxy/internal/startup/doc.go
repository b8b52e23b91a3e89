// Package startup renders the seed-compatible start-up block: the "[+]"
// notes on how the secrets were obtained, "[!]" warnings, the "[*] Final
// configuration:" block with each secret and its tg:// and t.me links, and
// "[F]" fatal lines. The lines are plain text; the caller writes them to
// stdout.
//
// These lines are the one documented place where secrets appear: users
// copy the links from the container log, as with the seed image. Nothing
// else in the binary prints or logs a secret.
//
// Differences from the seed, on purpose: the links use the configured PORT
// (the official image hard-coded 443); FakeTLS "ee" links are printed when
// TLS_DOMAIN is set, and with TLS_ONLY the "dd" links are left out since the
// proxy refuses them; an unknown external IP is a warning and the links use
// the placeholder host YOUR_SERVER_IP instead of aborting; the mode and why
// it was chosen are shown.
//
// With the WEB proxy carrier on (WEBPROXY_LISTEN), each secret also gets
// its tg://webproxy and https://t.me/webproxy links (dd form, the public
// WEBPROXY_HOST, port 443 implied, v2 links under a base path), printed
// under TLS_ONLY too: the carrier hides the client, not FakeTLS.
//
// The proxy links themselves come from package links (which also says why
// IPv6 hosts are written bare).
package startup
