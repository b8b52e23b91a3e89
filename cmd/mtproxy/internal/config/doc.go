// Package config reads the proxy's settings: the seed image's environment
// variables (the telegrammessenger/proxy and mtproxy/mtproxy images this
// binary replaces), a long flag for each, and the official mtproto-proxy
// options, and turns them into one validated Config.
//
// # Precedence
//
// defaults < environment < ARGS < command line. The environment is read with
// envconfig. ARGS holds "extra flags" (the seed appended $ARGS to the
// mtproto-proxy command line); it is split like a shell would (quotes
// honoured, no expansion). An empty variable counts as unset, as in the
// seed's shell tests. Within one source a repeated flag replaces the value,
// except list flags (-S, --secret, --dc-addrs, ...) which add to it.
//
// # Official mtproto-proxy options
//
// Read from TelegramMessenger/MTProxy (mtproto/mtproto-proxy.c f_parse_option
// and mtfront_prepare_parse_options, engine/engine-net.c f_parse_option_net,
// common/server-functions.c builtin_parse_option):
//
//	-S, --mtproto-secret  16-byte client secret, exactly 32 hex digits; repeatable.   = SECRET
//	-P, --proxy-tag       16-byte proxy tag, 32 hex digits.                           = TAG
//	-H, --http-ports      comma list of client ports to listen on.                    = PORT (one port)
//	-p, --port            local port ("<port>" or "<sport>:<eport>"), bound to
//	                      127.0.0.1, serving the stats.                               = INTERNAL_PORT (-p only)
//	-M, --slaves          number of worker processes to fork (0 = none).              = WORKERS (0 means 1)
//	-C, --max-special-connections
//	                      max accepted client connections per worker (0 = no limit).  limit = C x WORKERS
//	-D, --domain          allowed FakeTLS domain; repeatable; disables other
//	                      transports and workers there.                               = TLS_DOMAIN (one domain)
//	--nat-info L:P        local:global address pair for the RPC handshake.            = NAT_INFO
//	--http-stats          let the HTTP server answer stats queries.                   accepted; stats are always on
//	--aes-pwd FILE        the proxy secret file (getProxySecret).                     = PROXY_SECRET_FILE
//	-u, --user NAME       user to setuid to.                                          accepted, ignored with a warning
//	--address ADDR        bind only to this address.                                  = BIND
//	--allow-skip-dh       (the seed passed it) allow skipping DH in the RPC handshake. accepted, ignored with a warning
//	<config-file>         the single positional argument: getProxyConfig's file.     = PROXY_CONFIG_FILE
//
// The official --port (the stats port) clashes with our --port (PORT, the
// client port); --port here is PORT, and -p keeps its official meaning.
// Like getopt, a value may be glued to a short option ("-p8888", "-M4") and
// positional arguments may come between flags.
//
// # Decisions
//
//   - SECRET items are 32 hex digits in any case (lower-cased); "dd"+32 hex,
//     the link form, is accepted leniently; the FakeTLS link form (ee...) is
//     refused with a pointer to TLS_DOMAIN. Repeated secrets are an error.
//   - Secret priority as the seed: SECRET, else SECRET_FILE, else SECRET_COUNT
//     random secrets saved to SECRET_FILE (0600, temp file + rename) and reused
//     at the next start. Explicit SECRET values are not written to the file.
//     A SECRET_FILE that cannot be read or written is a warning (the secrets
//     then change on restart; an unreadable file is never written over). A
//     file that exists but is not a valid list is a fatal *Error naming it:
//     a user's secrets are never silently replaced.
//   - A bad TAG is a warning (tag ignored), as in the seed; TAG in direct mode
//     is a warning too. MODE=auto stays auto: the binary serves through the
//     middle proxies whenever they can, with or without a tag, and
//     DIRECT_FALLBACK / DIRECT_FALLBACK_AFTER (a warning in the other modes)
//     tune its fallback to direct.
//   - DC_ADDRS takes IP addresses only (IPv6 in brackets); host names are
//     refused with a message saying so.
//   - NAT_INFO fills IP and INTERNAL_IP; if both are given they must agree.
//   - Durations take Go syntax ("90s", "5m") or whole seconds.
//   - The WEB proxy carrier (WEBPROXY_*) is off unless WEBPROXY_LISTEN is
//     set, which then needs WEBPROXY_HOST: a lowercase DNS name with a dot,
//     no IP address, no port (what the links allow). WEBPROXY_SITE is an
//     http(s) URL or an existing absolute directory. The other WEBPROXY_
//     settings without the listener are a warning.
//   - Errors never contain a secret or the tag; other values are quoted.
package config
