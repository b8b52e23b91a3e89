#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (FUZZTIME,
# default 4s): the checked-in corpora under testdata/fuzz and the targets'
# own seeds first, then new inputs. Targets are found by name, so a new
# Fuzz function is fuzzed without editing this script. A failure leaves
# the crashing input in the package's testdata/fuzz, to check in with the
# fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-4s}"
started=$(date +%s)
count=0
while IFS=: read -r file name; do
	pkg="./$(dirname "$file")"
	echo "fuzz $pkg $name ($fuzztime)"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz.$$.log 2>&1 || {
		cat /tmp/fuzz.$$.log; rm -f /tmp/fuzz.$$.log; exit 1
	}
	count=$((count + 1))
done < <(grep -r -o --include='*_test.go' --exclude-dir=vendor --exclude-dir=deploy --exclude-dir=.git \
	'^func Fuzz[A-Za-z0-9_]*' . | sed 's|^\./||; s/:func /:/' | sort)
rm -f /tmp/fuzz.$$.log
echo "fuzzed $count targets in $(( $(date +%s) - started ))s"
