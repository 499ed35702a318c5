#!/usr/bin/env bash
# run-fuzzer.sh FUZZER CORPUS SECONDS: one libFuzzer harness in CI. First every file of the
# seed corpus once (a regression test: inputs that once crashed stay in the corpus), then
# SECONDS of fuzzing from it. New inputs go to a scratch directory, never into the repository;
# a crash prints the input (hex) and fails. scripts/fuzz runs the same harnesses for longer.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
name=$(basename "$fuzzer")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pgsup-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

show_crash() {
    for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
        [ -e "$f" ] || continue
        echo "$name: failing input $f:" >&2
        od -A d -c "$f" | head -40 >&2
    done
}

files=("$corpus"/*)
echo "$name: ${#files[@]} corpus files"
"$fuzzer" -artifact_prefix="$scratch/" "${files[@]}" 2>"$scratch/regression.log" || {
    cat "$scratch/regression.log" >&2
    show_crash
    exit 1
}
mkdir "$scratch/new"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch/new" "$corpus" 2>"$scratch/fuzz.log" || {
    tail -n 60 "$scratch/fuzz.log" >&2
    show_crash
    exit 1
}
grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$scratch/fuzz.log" || true
echo "$name: ok"
