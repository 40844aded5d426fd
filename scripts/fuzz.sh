#!/usr/bin/env bash
# Runs every fuzz target in the module (each `func FuzzXxx(f *testing.F)` in a _test.go file):
#
#   scripts/fuzz.sh            5 s per target, as `make test` does
#   scripts/fuzz.sh 2m         2 minutes per target, as `make fuzz` does (FUZZTIME=2m works too)
#
# With the race detector on (FUZZ_RACE=0 turns it off for more executions per second). The first
# target that finds a failing input stops the script with the test's report; the input is saved
# under that package's testdata/fuzz/<Target>/ and from then on every plain `go test` runs it as
# a regression case: commit it with the fix. What the fuzzer learns is kept in Go's cache
# ($(go env GOCACHE)/fuzz), as `go test -fuzz` keeps it, so later runs start from there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
fuzztime="${1:-${FUZZTIME:-5s}}"
go="${GO:-go}"
race=(-race)
[ "${FUZZ_RACE:-1}" = 0 ] && race=()

# "dir target" pairs, found in the sources so a new target is never forgotten.
mapfile -t targets < <(
	grep -rIE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
		sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+).*#\1 \2#' | sort -u
)
if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/claude-keytray-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cache="$("$go" env GOCACHE)/fuzz"
module="$("$go" list -m)"

# One instrumented test binary per package, built once: go test -fuzz would link it again for
# every target.
declare -A bins
for t in "${targets[@]}"; do
	dir="${t% *}"
	[ -n "${bins[$dir]:-}" ] && continue
	bins[$dir]="$work/$(echo "$dir" | tr / _).test"
	echo "== build ./$dir for fuzzing"
	"$go" test -c "${race[@]}" -fuzz=. -o "${bins[$dir]}" "./$dir"
done

# fuzz DIR TARGET TIME: runs one target from its package folder (where its testdata lives).
fuzz() {
	(cd "$root/$1" && "${bins[$1]}" -test.run='^$' -test.fuzz="^$2\$" -test.fuzztime="$3" \
		-test.fuzzcachedir="$cache/$module/$1") >"$work/log" 2>&1
}

start=$SECONDS
for t in "${targets[@]}"; do
	dir="${t% *}"
	name="${t#* }"
	echo "== fuzz ./$dir $name for $fuzztime"
	if fuzz "$dir" "$name" "$fuzztime"; then
		grep -E '^fuzz: elapsed: .*execs' "$work/log" | tail -1 || true
		continue
	fi
	# A machine too busy to finish the seed corpus within a short -fuzztime makes the fuzzing
	# engine give up with "context deadline exceeded" before fuzzing at all: that is no finding,
	# so the target gets one more try with twice the time.
	if ! grep -q 'Failing input written' "$work/log" && grep -q 'context deadline exceeded' "$work/log"; then
		secs="${fuzztime%s}"
		if [[ "$secs" =~ ^[0-9]+$ ]]; then
			echo "fuzz: $name ran out of time on its seed corpus; once more with $((secs * 2))s"
			if fuzz "$dir" "$name" "$((secs * 2))s"; then
				grep -E '^fuzz: elapsed: .*execs' "$work/log" | tail -1 || true
				continue
			fi
		fi
	fi
	cat "$work/log"
	echo "fuzz: $name in ./$dir failed (above); a failing input is saved under ./$dir/testdata/fuzz/$name/" >&2
	exit 1
done
echo "fuzz: ${#targets[@]} targets, $fuzztime each, all passed in $((SECONDS - start)) s"
