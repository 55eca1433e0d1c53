#!/usr/bin/env bash
# make check: every stage runs even when an earlier one fails, so that one run
# shows everything that is broken; the last line is "N passed, N failed".
set -uo pipefail
export RL_RESULTS=build/results
mkdir -p build
rm -f "$RL_RESULTS"
status=0
for stage in all unit unit-san fuzz-replay e2e format-check docs-check; do
    echo "== make $stage"
    if ! make --no-print-directory "$stage"; then
        status=1
        # Marks the stage itself: a build error runs no test but must not pass.
        echo "0 1 stage:$stage" >>"$RL_RESULTS"
    fi
done
echo
if awk '$2 > 0 { found = 1 } END { exit !found }' "$RL_RESULTS"; then
    echo "== failures"
    awk '$2 > 0 { print "  " $3 ": " $2 " failed" }' "$RL_RESULTS"
fi
awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed\n", p, f }' "$RL_RESULTS"
exit $status
