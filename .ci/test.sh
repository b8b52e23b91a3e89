#!/usr/bin/env bash
# The whole test suite, as the README gives it. It installs the Debian
# packages the tests need when they are missing (real Prometheus, promtool,
# Alertmanager's amtool, the real Telethon client, headless Chromium for the
# WEB proxy's bridge page and the users admin page, zbarimg for the admin
# page's QR codes, redis-server for the shared state of a fleet), then checks
# formatting, vet and staticcheck, and runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
/usr/bin/python3 -c 'import telethon' >/dev/null 2>&1 || need+=(python3-telethon)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
if ((${#need[@]})); then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing: ${need[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

unformatted=$(gofmt -l $(git ls-files '*.go' ':!:vendor' 2>/dev/null || find . -name '*.go' -not -path './vendor/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck is a tool of the main module (pinned in go.mod, vendored);
# the other modules are checked with the same binary (go tool -n prints
# its path in the build cache).
go tool staticcheck ./...
staticcheck=$(go tool -n staticcheck)
go test -race -timeout 20m ./...
for mod in $(find . -mindepth 2 -name go.mod -not -path './vendor/*' -printf '%h\n' | sort); do
	(cd "$mod" && go vet ./... && "$staticcheck" ./... && go test -race -timeout 20m ./...)
done
# Memory figures of the release build (the race detector widens frames,
# and its sync.Pool drops what is put in it at random).
go test -count=1 -run '^(TestIdleRelayStacks|TestHandshakeBufferPooled)$' ./proxy
# The soak test through the binary, both modes, upstreams dying at random
# (off in a plain `go test`; MTPROXY_SOAK_DURATION is per mode).
MTPROXY_SOAK=1 MTPROXY_SOAK_DURATION="${MTPROXY_SOAK_DURATION:-20s}" \
	go test -count=1 -run '^TestSoak' -timeout 10m ./e2e
# Every fuzz target for FUZZTIME each, from its checked-in corpus.
FUZZTIME="${FUZZTIME:-3s}" bash .ci/fuzz.sh
echo "all tests passed"
