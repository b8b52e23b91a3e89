#!/usr/bin/env bash
# Copies what the fuzzer found interesting (Go's fuzz cache, filled by
# .ci/fuzz.sh or any `go test -fuzz` run) into each target's checked-in
# seed corpus, testdata/fuzz/<FuzzName>/: at most MAX (default 16) of the
# smallest inputs per target, each at most 4 KiB. Run it after a longer
# fuzzing session, review, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
max="${MAX:-16}"
module=$(go list -m)
cache="$(go env GOCACHE)/fuzz/$module"
grep -r -o --include='*_test.go' --exclude-dir=vendor --exclude-dir=deploy --exclude-dir=.git \
	'^func Fuzz[A-Za-z0-9_]*' . | sed 's|^\./||; s/:func /:/' | sort | while IFS=: read -r file name; do
	dir=$(dirname "$file")
	src="$cache/$dir/$name"
	[ -d "$src" ] || continue
	dst="$dir/testdata/fuzz/$name"
	mkdir -p "$dst"
	have=$(find "$dst" -type f | wc -l)
	find "$src" -type f -size -4097c -printf '%s %p\n' | sort -n | while read -r _ f; do
		[ "$have" -lt "$max" ] || break
		[ -e "$dst/$(basename "$f")" ] && continue
		cp "$f" "$dst/"
		have=$((have + 1))
	done
done
