#!/usr/bin/env bash
# Side-by-side benchmark of this proxy (cmd/mtproxy), mtg v2.2.8 and the
# two C proxies (the official mtproto-proxy, middle-proxy mode; teleproxy,
# direct mode), on loopback, with cmd/mtbench. One command:
#
#   scripts/bench.sh                 # every scenario, 3 runs each
#   REPS=1 SCENARIOS="tput-up-8 hs-16" scripts/bench.sh
#   REPORT_ONLY=1 OUT=/tmp/mtbench-results.xxx scripts/bench.sh  # tables again
#
# What it does:
#   1. builds mtproxy and mtbench from this tree, mtg from the Go module
#      cache (go mod download github.com/9seconds/mtg/v2@v2.2.8), and the C
#      proxies with shared/peers/build.sh into PEERS_BUILD when their
#      sources are there (their variants are skipped, with a note in the
#      results, when not);
#   2. starts the far ends on LOAD_CPU (default 0): a Raw fake DC (bulk
#      transfers), a Packets fake DC (resPQ, packet echo), a SOCKS5 server in
#      front of each (mtg reaches DCs only through SOCKS5), and a fake middle
#      proxy with a fake core.telegram.org;
#   3. for every scenario and repetition, starts each proxy variant fresh,
#      pinned to PROXY_CPU (default 1) with taskset, runs the same mtbench
#      load (also on LOAD_CPU) against it, and stops it; the variants'
#      order rotates between repetitions;
#   4. prints markdown tables of medians and ratios (mtbench compare).
#
# Variants: ours (FakeTLS, direct to the fake DC), mtg (FakeTLS, via SOCKS5
# to the same DC), ours-dd (the same proxy, obfuscated2 padded clients),
# ours-direct / ours-middle (packet echo direct vs through the fake middle
# proxy), ours-state (FakeTLS with the fleet's shared state: STATE_URL to a
# local redis-server, Debian's package, started on LOAD_CPU when installed),
# users-N (ours with a USERS_FILE of N users besides SECRET: in
# hs-users every handshake is the last user's, a returning client whose
# address hints its key; in hs-users-cold the client cycles through all N
# users, so each handshake's user is the least recently used one); against
# the C proxies, all with padded (dd) clients: official (mtproto-proxy,
# through the fake middle proxy) vs ours-mid, teleproxy (--direct, to the
# fake DC) vs ours-dir; ours-dir-2c is ours-dir on both cores with
# GOMAXPROCS=2 (the multi-core table).
#
# A/B runs of two builds of this proxy: ALT_BIN=/path/to/other/mtproxy adds
# the variants alt-mid and alt-dir (that binary, configured as ours-mid and
# ours-dir), and VARIANTS_ONLY replaces every scenario's variant list:
#
#   ALT_BIN=/tmp/mtproxy-b VARIANTS_ONLY="ours-mid alt-mid" REPS=4 \
#     SCENARIOS=hs-middle scripts/bench.sh
#
# Everything stays on 127.0.0.1, every run is bounded by mtbench's
# -duration. Results (JSON per run, tables, machine info) go to OUT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-3}
OUT=${OUT:-$(mktemp -d /tmp/mtbench-results.XXXXXX)}
BIN=${BIN:-/tmp/mtbench-bin}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
MTG_VERSION=${MTG_VERSION:-v2.2.8}
IDLE_CONNS=${IDLE_CONNS:-9900}
# Idle clients against the C proxies: the most the 20000-descriptor limit
# allows (a direct client costs the proxy two sockets, a middle one one).
IDLE_DIRECT=${IDLE_DIRECT:-9000}
IDLE_MIDDLE=${IDLE_MIDDLE:-18000}
# Where shared/peers/build.sh builds the C proxies (kept between runs).
PEERS_BUILD=${PEERS_BUILD:-/tmp/peer-build}
# testkit/socks5 splices with io.Copy, and each spliced direction holds a
# pipe (2 descriptors) on top of the two sockets: 6 descriptors per session.
# With the 20000-descriptor limit one server caps near 3300 sessions, so mtg
# gets several servers and spreads its dials over them (at random).
SOCKS_SERVERS=${SOCKS_SERVERS:-4}
ALL_SCENARIOS="tput-up-8 tput-down-8 tput-both-8 tput-up-64 tput-down-64 hs-16 idle echo-8 echo-rtt hs-16-middle hs-16-state hs-users hs-users-cold
	hs-middle echo-middle idle-middle hs-direct echo-direct idle-direct
	scale-1k scale-5k scale-18k mc-hs mc-echo"
# The C comparison alone (the six rows of the summary).
C_SCENARIOS="hs-middle echo-middle idle-middle hs-direct echo-direct idle-direct"
SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
[[ $SCENARIOS == c ]] && SCENARIOS=$C_SCENARIOS
SCENARIOS=$(echo $SCENARIOS) # one line

KEY=000102030405060708090a0b0c0d0e0f
DOMAIN=example.com
DOMAIN_HEX=$(printf %s "$DOMAIN" | od -An -tx1 | tr -d ' \n')
EE_SECRET=ee$KEY$DOMAIN_HEX
DD_SECRET=dd$KEY
TAG=0123456789abcdef0123456789abcdef

mkdir -p "$OUT" "$BIN"
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# ---------------------------------------------------------------- build
build() {
	log "building mtproxy and mtbench"
	(cd "$ROOT" && go build -o "$BIN/mtproxy" ./cmd/mtproxy && go build -o "$BIN/mtbench" ./cmd/mtbench)
	if [[ ! -x "$BIN/mtg-$MTG_VERSION" ]]; then
		log "building mtg $MTG_VERSION from the module cache"
		local dir src
		# Outside any module, so this tree's go.mod is untouched.
		dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/9seconds/mtg/v2@$MTG_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		src=$(mktemp -d /tmp/mtg-src.XXXXXX)
		cp -r "$dir/." "$src" && chmod -R u+w "$src"
		(cd "$src" && GOFLAGS=-mod=mod go build -o "$BIN/mtg-$MTG_VERSION" .)
		rm -rf "$src"
	fi
	MTBENCH=$BIN/mtbench
	build_peers
}

# build_peers: the C proxies, from the tarballs of shared/peers (beside the
# repository, or one level up from a worktree), built once into PEERS_BUILD.
OFFICIAL=""
TELEPROXY=""
build_peers() {
	local src=${PEERS_SRC:-}
	if [[ -z $src ]]; then
		for src in "$ROOT/../shared/peers" "$ROOT/../../shared/peers" ""; do
			[[ -z $src || -f $src/build.sh ]] && break
		done
	fi
	if [[ -z $src || ! -f $src/build.sh ]]; then
		log "no shared/peers/build.sh: the official and teleproxy variants are skipped"
		return
	fi
	log "building the C proxies into $PEERS_BUILD (once)"
	if ! bash "$src/build.sh" "$PEERS_BUILD" >"$OUT/peers-build.log" 2>&1; then
		log "shared/peers/build.sh failed (see $OUT/peers-build.log): the C variants are skipped"
		return
	fi
	[[ -x $PEERS_BUILD/MTProxy/objs/bin/mtproto-proxy ]] && OFFICIAL=$PEERS_BUILD/MTProxy/objs/bin/mtproto-proxy
	[[ -x $PEERS_BUILD/teleproxy/objs/bin/teleproxy ]] && TELEPROXY=$PEERS_BUILD/teleproxy/objs/bin/teleproxy
	if [[ -n $OFFICIAL ]] && ! unshare -pf true 2>/dev/null; then
		log "unshare -pf is not permitted: the official variant is skipped"
		OFFICIAL=""
	fi
}

# available VARIANT: false (with a note in the results) when a variant's
# binary is missing.
available() {
	case $1 in
	official) [[ -n $OFFICIAL ]] ;;
	teleproxy) [[ -n $TELEPROXY ]] ;;
	alt-*) [[ -n ${ALT_BIN:-} && -x ${ALT_BIN:-} ]] ;;
	*) true ;;
	esac || {
		grep -qx "$1" "$OUT/skipped.txt" 2>/dev/null || echo "$1" >>"$OUT/skipped.txt"
		return 1
	}
}

# ---------------------------------------------------------------- processes
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# start_stub NAME ARGS...: runs `mtbench ARGS` on LOAD_CPU and waits for its
# KEY=value lines in $OUT/NAME.env.
start_stub() {
	local name=$1 lines=$2
	shift 2
	taskset -c "$LOAD_CPU" "$MTBENCH" "$@" >"$OUT/$name.env" 2>"$OUT/$name.log" &
	PIDS+=($!)
	for _ in $(seq 100); do
		[[ $(wc -l <"$OUT/$name.env") -ge $lines ]] && return
		sleep 0.1
	done
	log "stub $name did not start:"; cat "$OUT/$name.log" >&2; exit 1
}
envval() { sed -n "s/^$2=//p" "$OUT/$1.env"; }

start_stubs() {
	log "starting fake DCs, SOCKS5 servers and the fake middle proxy on CPU $LOAD_CPU"
	start_stub dc-raw 1 fakedc -mode raw
	start_stub dc-packets 1 fakedc -mode packets
	DC_RAW=$(envval dc-raw DC_ADDR)
	DC_PACKETS=$(envval dc-packets DC_ADDR)
	local i
	for i in $(seq "$SOCKS_SERVERS"); do
		start_stub "socks-raw-$i" 1 socks5 -target "$DC_RAW"
		start_stub "socks-packets-$i" 1 socks5 -target "$DC_PACKETS"
	done
	mkdir -p "$OUT/middle-files"
	start_stub middle 5 middle -tag "$TAG" -files "$OUT/middle-files"
	if command -v redis-server >/dev/null; then
		REDIS_PORT=$("$MTBENCH" freeport -n 1)
		taskset -c "$LOAD_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$OUT" --logfile "$OUT/redis.log" &
		PIDS+=($!)
		"$MTBENCH" waitport -port "$REDIS_PORT" -pid "$!" -timeout 20s || { log "redis-server did not start"; exit 1; }
	fi
}

# socks_list KIND: the SOCKS5 servers in front of the KIND DC, as a TOML
# list of socks5:// URLs.
socks_list() {
	local i list=""
	for i in $(seq "$SOCKS_SERVERS"); do
		list+="${list:+, }\"socks5://$(envval "socks-$1-$i" SOCKS5_ADDR)\""
	done
	echo "[$list]"
}

# start_proxy VARIANT DCKIND: starts a fresh proxy pinned to PROXY_CPU; sets
# PROXY_PID and PROXY_PORT.
start_proxy() {
	local variant=$1 kind=$2 dc data ports
	ports=$("$MTBENCH" freeport -n 2)
	PROXY_PORT=$(sed -n 1p <<<"$ports")
	local internal_port
	internal_port=$(sed -n 2p <<<"$ports")
	if [[ $kind == raw ]]; then dc=$DC_RAW; else dc=$DC_PACKETS; fi
	data=$(mktemp -d "$OUT/data.XXXXXX")
	case $variant in
	mtg)
		cat >"$data/mtg.toml" <<-EOF
			secret = "$EE_SECRET"
			bind-to = "127.0.0.1:$PROXY_PORT"
			concurrency = 20000
			prefer-ip = "only-ipv4"
			[network]
			proxies = $(socks_list "$kind")
			[defense.blocklist]
			enabled = false
			[stats.prometheus]
			enabled = false
		EOF
		taskset -c "$PROXY_CPU" "$BIN/mtg-$MTG_VERSION" run "$data/mtg.toml" >"$data/log" 2>&1 &
		;;
	official)
		# Middle-proxy mode only. It asserts that its pid is below 65536,
		# hence a PID namespace; no -M: one process does everything, so
		# its /proc figures are the whole proxy's.
		taskset -c "$PROXY_CPU" unshare -pf "$OFFICIAL" -u root -c 19500 -p "$internal_port" -H "$PROXY_PORT" \
			-S "$KEY" -P "$TAG" --aes-pwd "$(envval middle PROXY_SECRET_FILE)" "$(envval middle PROXY_CONFIG_FILE)" \
			>"$data/log" 2>&1 &
		;;
	teleproxy)
		local overrides=() i
		for i in 1 2 3 4 5; do overrides+=(--dc-override "$i:${dc%:*}:${dc##*:}"); done
		taskset -c "$PROXY_CPU" "$TELEPROXY" -u root -c 19500 -p "$internal_port" -H "$PROXY_PORT" \
			-S "$KEY" --direct "${overrides[@]}" >"$data/log" 2>&1 &
		;;
	ours | ours-dd | ours-direct | ours-middle | ours-mid | ours-dir | ours-dir-2c | ours-state | users-* | alt-mid | alt-dir)
		local mode=direct extra=() cpus=$PROXY_CPU bin=$BIN/mtproxy
		[[ $variant == alt-* ]] && bin=$ALT_BIN
		[[ $variant == ours-dir-2c ]] && cpus=$LOAD_CPU,$PROXY_CPU extra=(GOMAXPROCS=2)
		if [[ $variant == ours-middle || $variant == ours-mid || $variant == alt-mid ]]; then
			mode=middle
			extra=("TAG=$TAG" "PROXY_SECRET_URL=$(envval middle PROXY_SECRET_URL)" "PROXY_CONFIG_URL=$(envval middle PROXY_CONFIG_URL)")
		fi
		if [[ $variant == ours-state ]]; then
			[[ -n ${REDIS_PORT:-} ]] || { log "ours-state needs redis-server (apt-get install redis-server)"; return 1; }
			extra=("STATE_URL=redis://127.0.0.1:$REDIS_PORT/0?prefix=bench$RANDOM:")
		fi
		if [[ $variant == users-* ]]; then
			users_file "${variant#users-}" "$data"
			extra=("USERS_FILE=$data/users.toml" "USERS_STATE_FILE=$data/usage.json")
		fi
		taskset -c "$cpus" env -i PATH="$PATH" \
			SECRET=$KEY PORT="$PROXY_PORT" INTERNAL_PORT="$internal_port" BIND=127.0.0.1 \
			TLS_DOMAIN=$DOMAIN FRONTING_ADDR=127.0.0.1:1 MODE=$mode \
			DC_ADDRS="1=$dc,2=$dc,3=$dc,4=$dc,5=$dc,-1=$dc,-2=$dc,-3=$dc,-4=$dc,-5=$dc" \
			IP=127.0.0.1 IP_DETECT_URLS=http://127.0.0.1:1/ip NTP_SERVERS=127.0.0.1:1 \
			SECRET_FILE="$data/secret" PROXY_SECRET_FILE="$data/proxy.secret" PROXY_CONFIG_FILE="$data/proxy.conf" \
			REPLAY_CACHE_FILE="$data/replay.cache" \
			SHUTDOWN_TIMEOUT=1s LOG_LEVEL=warn "${extra[@]}" \
			"$bin" >"$data/log" 2>&1 &
		;;
	*) log "unknown variant $variant"; exit 1 ;;
	esac
	PROXY_PID=$!
	PROXY_DATA=$data
	STOP_PID=$PROXY_PID
	if [[ $variant == official ]]; then
		# The proxy is unshare's child: once it listens, its pid outside
		# the namespace is the one whose CPU and memory count.
		if ! "$MTBENCH" waitport -port "$PROXY_PORT" -timeout 20s; then
			log "$variant did not start:"; cat "$data/log" >&2; return 1
		fi
		PROXY_PID=$(pgrep -P "$STOP_PID" -x mtproto-proxy | head -1 || true)
		[[ -n $PROXY_PID ]] || { log "$variant: no mtproto-proxy under unshare $STOP_PID"; return 1; }
	fi
	if ! "$MTBENCH" waitport -port "$PROXY_PORT" -pid "$PROXY_PID" -timeout 20s; then
		log "$variant did not start:"; cat "$data/log" >&2; return 1
	fi
}

stop_proxy() {
	local p
	# The official proxy's unshare does not pass signals on: its children
	# (by parent pid) are stopped first.
	[[ $STOP_PID != "$PROXY_PID" ]] && { pkill -P "$STOP_PID" 2>/dev/null || true; }
	for p in "$PROXY_PID" "$STOP_PID"; do
		kill "$p" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	wait "$STOP_PID" 2>/dev/null || true
	rm -rf "$PROXY_DATA"
}

# ---------------------------------------------------------------- scenarios
# scenario NAME: sets DCKIND, VARIANTS and ARGS (mtbench flags; the secret
# and mode come from the variant).
scenario() {
	case $1 in
	tput-up-8) DCKIND=raw VARIANTS="ours mtg ours-dd" ARGS="-conns 8 -bytes 64MiB -direction up" ;;
	tput-down-8) DCKIND=raw VARIANTS="ours mtg ours-dd" ARGS="-conns 8 -bytes 64MiB -direction down" ;;
	tput-both-8) DCKIND=raw VARIANTS="ours mtg" ARGS="-conns 8 -bytes 32MiB -direction both" ;;
	tput-up-64) DCKIND=raw VARIANTS="ours mtg" ARGS="-conns 64 -bytes 16MiB -direction up -ramp 1s" ;;
	tput-down-64) DCKIND=raw VARIANTS="ours mtg" ARGS="-conns 64 -bytes 16MiB -direction down -ramp 1s" ;;
	hs-16) DCKIND=packets VARIANTS="ours mtg ours-dd" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	idle) DCKIND=packets VARIANTS="ours mtg" ARGS="-idle $IDLE_CONNS -hold 5s -parallel 32 -probe reqpq -timeout 30s" ;;
	echo-8) DCKIND=packets VARIANTS="ours-direct ours-middle" ARGS="-echo -conns 8 -bytes 32MiB -packet 16384 -window 8 -probe reqpq" ;;
	echo-rtt) DCKIND=packets VARIANTS="ours-direct ours-middle" ARGS="-echo -conns 4 -bytes 2MiB -packet 1024 -window 1 -probe reqpq" ;;
	hs-16-middle) DCKIND=packets VARIANTS="ours-direct ours-middle" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	hs-16-state) DCKIND=packets VARIANTS="ours ours-state" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	hs-users | hs-users-cold) DCKIND=packets VARIANTS="ours users-1 users-16 users-1000 users-10000" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	# Against the C proxies, padded (dd) clients: the official proxy in
	# middle-proxy mode, teleproxy in direct mode.
	hs-middle) DCKIND=packets VARIANTS="official ours-mid" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	echo-middle) DCKIND=packets VARIANTS="official ours-mid" ARGS="-echo -conns 8 -bytes 256MiB -packet 16384 -window 8 -probe reqpq" ;;
	idle-middle) DCKIND=packets VARIANTS="official ours-mid" ARGS="-idle $IDLE_MIDDLE -hold 5s -parallel 32 -probe reqpq -timeout 60s" ;;
	hs-direct) DCKIND=packets VARIANTS="teleproxy ours-dir" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	echo-direct) DCKIND=packets VARIANTS="teleproxy ours-dir" ARGS="-echo -conns 8 -bytes 256MiB -packet 16384 -window 8 -probe reqpq" ;;
	idle-direct) DCKIND=packets VARIANTS="teleproxy ours-dir" ARGS="-idle $IDLE_DIRECT -hold 5s -parallel 32 -probe reqpq -timeout 60s" ;;
	# Scaling: idle middle-mode clients at three counts.
	scale-1k) DCKIND=packets VARIANTS="official ours-mid" ARGS="-idle 1000 -hold 5s -parallel 32 -probe reqpq -timeout 60s" ;;
	scale-5k) DCKIND=packets VARIANTS="official ours-mid" ARGS="-idle 5000 -hold 5s -parallel 32 -probe reqpq -timeout 60s" ;;
	scale-18k) DCKIND=packets VARIANTS="official ours-mid" ARGS="-idle 18000 -hold 5s -parallel 32 -probe reqpq -timeout 60s" ;;
	# Multi-core: one core vs both with GOMAXPROCS=2 (sharing CPU 0 with
	# the load generator).
	mc-hs) DCKIND=packets VARIANTS="ours-dir ours-dir-2c" ARGS="-handshakes -conns 16 -duration 10s -probe reqpq" ;;
	mc-echo) DCKIND=packets VARIANTS="ours-dir ours-dir-2c" ARGS="-echo -conns 8 -bytes 32MiB -packet 16384 -window 8 -probe reqpq" ;;
	*) log "unknown scenario $1"; exit 1 ;;
	esac
}

# rotate "a b c" K: the list rotated left K times, so each variant takes
# each position in turn.
rotate() {
	local -a v
	read -ra v <<<"$1"
	local k=$(($2 % ${#v[@]}))
	echo "${v[@]:k}" "${v[@]:0:k}"
}

run_one() {
	local name=$1 variant=$2 rep=$3
	local mode=faketls probe_warm=reqpq
	local secret=(-secret "$EE_SECRET")
	case $variant in
	ours-dd | official | teleproxy | ours-mid | ours-dir | ours-dir-2c | alt-mid | alt-dir) secret=(-secret "$DD_SECRET") mode=padded ;;
	esac
	available "$variant" || { log "  $name/$variant skipped: not built"; return 0; }
	[[ $DCKIND == raw ]] && probe_warm="echo"
	# A start that fails (the official binary, once in a while, right
	# after another proxy stopped) is retried once before the run is
	# skipped.
	if ! start_proxy "$variant" "$DCKIND"; then
		stop_proxy
		log "  retrying $variant"
		start_proxy "$variant" "$DCKIND" || { stop_proxy; return 0; }
	fi
	if [[ $variant == users-* && $name == hs-users-cold ]]; then
		secret=(-secrets-file "$PROXY_DATA/secrets.txt")
	elif [[ $variant == users-* ]]; then
		secret=(-secret "$(head -n 1 "$PROXY_DATA/secrets.txt")") # the last user
	fi
	# Warm-up: a few handshakes so first-connection costs (the middle
	# proxy's RPC pool, lazy initialisation) stay out of the measurement.
	taskset -c "$LOAD_CPU" "$MTBENCH" -addr "127.0.0.1:$PROXY_PORT" "${secret[@]}" -mode "$mode" \
		-handshakes -conns 2 -count 8 -probe "$probe_warm" >/dev/null 2>&1 || true
	local out=$OUT/$name.$variant.$rep.json
	echo "$name/$variant #$rep load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loadavg.log"
	# shellcheck disable=SC2086 # ARGS is a word list
	if taskset -c "$LOAD_CPU" "$MTBENCH" -addr "127.0.0.1:$PROXY_PORT" "${secret[@]}" -mode "$mode" \
		-pid "$PROXY_PID" -label "$name/$variant" -json -duration "${DURATION:-3m}" $ARGS >"$out.tmp" 2>"$OUT/$name.$variant.$rep.err"; then
		mv "$out.tmp" "$out"
		log "  $name/$variant #$rep: $(summary "$out")"
	else
		log "  $name/$variant #$rep failed: $(cat "$OUT/$name.$variant.$rep.err")"
		rm -f "$out.tmp"
	fi
	stop_proxy
}

# summary FILE: one line from a JSON report (without jq).
summary() {
	local f=$1
	printf 'ok %s failed %s, %s MB/s, %s hs/s, rss/conn %s B' \
		"$(num ok "$f")" "$(num failed "$f")" \
		"$(awk -v b="$(num total_bps "$f")" 'BEGIN{printf "%.1f", b/1e6}')" \
		"$(awk -v h="$(num handshakes_per_sec "$f")" 'BEGIN{printf "%.0f", h}')" \
		"$(num rss_per_conn "$f")"
}
num() {
	local v
	v=$(sed -n "s/^ *\"$1\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$2" | head -1)
	echo "${v:-0}"
}

# compare_variants BASE A B: the tables of the scenarios (in run order) that
# have results for both A and B.
compare_variants() {
	local base=$1 a=$2 b=$3 name files=()
	shopt -s nullglob
	for name in $SCENARIOS; do
		local fa=("$OUT/$name.$a".*.json) fb=("$OUT/$name.$b".*.json)
		((${#fa[@]} && ${#fb[@]})) && files+=("${fa[@]}" "${fb[@]}")
	done
	shopt -u nullglob
	((${#files[@]})) && "$MTBENCH" compare -base "$base" "${files[@]}"
	return 0
}

# compare_scenarios BASE NAME...: the tables of the named scenarios, all
# variants against BASE.
compare_scenarios() {
	local base=$1 name files=()
	shift
	shopt -s nullglob
	for name in "$@"; do
		[[ " $SCENARIOS " == *" $name "* ]] && files+=("$OUT/$name".*.json)
	done
	shopt -u nullglob
	((${#files[@]})) && "$MTBENCH" compare -base "$base" "${files[@]}"
	return 0
}

machine() {
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "kernel: $(uname -sr)"
		echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) x $(nproc)"
		echo "memory: $(free -m | awk '/^Mem:/{print $2}') MiB"
		echo "go: $(go version)"
		echo "mtg: $MTG_VERSION"
		echo "ours: working tree at $(cd "$ROOT" && git rev-parse --short HEAD)"
		[[ -n $OFFICIAL ]] && echo "official: $OFFICIAL (MTProxy dc0c7f3)"
		[[ -n $TELEPROXY ]] && echo "teleproxy: $TELEPROXY (v4.10.0)"
		[[ -n ${ALT_BIN:-} ]] && echo "alt: $ALT_BIN"
		echo "ulimit -n: $(ulimit -n)"
		echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >"$OUT/machine.txt"
}

main() {
	if [[ -n ${REPORT_ONLY:-} ]]; then # tables from the JSON already in OUT
		(cd "$ROOT" && go build -o "$BIN/mtbench" ./cmd/mtbench)
		MTBENCH=$BIN/mtbench
		tables
		return
	fi
	build
	machine
	start_stubs
	local name rep variant
	for name in $SCENARIOS; do
		scenario "$name"
		VARIANTS=${VARIANTS_ONLY:-$VARIANTS}
		log "scenario $name ($ARGS)"
		for rep in $(seq "$REPS"); do
			for variant in $(rotate "$VARIANTS" $((rep - 1))); do
				run_one "$name" "$variant" "$rep"
			done
		done
	done
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
	tables
	log "results in $OUT"
}

tables() {
	{
		echo "## Machine"; echo; sed 's/^/    /' "$OUT/machine.txt"; echo
		echo "## Ours vs mtg $MTG_VERSION (ratio: ours / mtg)"; echo
		compare_variants mtg ours mtg
		echo "## obfuscated2 dd vs FakeTLS, our proxy (ratio: dd / FakeTLS)"; echo
		compare_variants ours ours ours-dd
		echo "## Middle vs direct, our proxy (ratio: middle / direct)"; echo
		compare_variants ours-direct ours-direct ours-middle
		echo "## Shared state (STATE_URL, local redis-server) vs local, our proxy (ratio: state / local)"; echo
		compare_variants ours ours ours-state
		echo "## Handshakes with USERS_FILE, by number of users (ratio: users-N / ours, SECRET only)"; echo
		compare_scenarios ours hs-users hs-users-cold
		echo "## Ours vs the official mtproto-proxy, middle-proxy mode (ratio: ours / official)"; echo
		compare_variants official ours-mid official
		echo "## Ours vs teleproxy, direct mode (ratio: ours / teleproxy)"; echo
		compare_variants teleproxy ours-dir teleproxy
		echo "## One core vs two (GOMAXPROCS=2), our proxy, direct mode (ratio: two / one)"; echo
		compare_variants ours-dir ours-dir ours-dir-2c
		if [[ -n ${ALT_BIN:-} ]]; then
			echo "## A/B: ALT_BIN $ALT_BIN vs this tree (ratio: alt / ours)"; echo
			compare_variants ours-mid ours-mid alt-mid
			compare_variants ours-dir ours-dir alt-dir
		fi
		if [[ -s $OUT/skipped.txt ]]; then
			echo "Skipped (not built): $(tr '\n' ' ' <"$OUT/skipped.txt")"; echo
		fi
		echo "## Load average before each run"; echo; sed 's/^/    /' "$OUT/loadavg.log"; echo
	} | tee "$OUT/results.md"
}

main "$@"
