#!/usr/bin/env bash
# make fuzz: runs each target for N seconds on a copy of its committed corpus.
# New interesting inputs land in build/fuzz/corpus/<name>; a crash is written to
# tests/fuzz/findings/ and fails the run. Merge worthwhile inputs back by hand
# (-merge=1) so that the committed corpus stays small.
set -uo pipefail
secs=$1; shift
mkdir -p tests/fuzz/findings
rc=0
for t in "$@"; do
    name=$(basename "$t"); short=${name#fuzz_}
    work=build/fuzz/corpus/$short
    mkdir -p "$work"
    echo "== $name for ${secs}s"
    if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix=tests/fuzz/findings/"$short"- -print_final_stats=1 \
            "$work" tests/fuzz/corpus/"$short" 2>&1 | grep -E '^(#[0-9]+ +DONE|stat::(number_of_executed_units|new_units_added)|==|SUMMARY)'; then
        :
    fi
    if ls tests/fuzz/findings/"$short"-* >/dev/null 2>&1; then
        echo "$name: finding(s) in tests/fuzz/findings/"; rc=1
    fi
done
exit $rc
