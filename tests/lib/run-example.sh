#!/bin/sh
# run-example.sh TREECHECK EXAMPLE PATTERN...: runs an example program of examples/ under
# treecheck (tests/helpers/treecheck.c), which marks its environment, is the subreaper of all it
# starts, and fails unless the example exits 0 leaving no process of any tree alive and no
# zombie. Then each PATTERN (an extended regular expression) must match a line of what the
# example printed. The output goes to a file, not a pipe: a leaked process holding a pipe would
# hang the test instead of failing it.
set -u
treecheck=$1
example=$2
shift 2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$treecheck" --expect-exit 0 -- "$example" >"$out"
status=$?
cat "$out"
if [ "$status" -ne 0 ]; then
    echo "run-example: treecheck failed with status $status"
    exit 1
fi
for pattern in "$@"; do
    if ! grep -Eq -- "$pattern" "$out"; then
        echo "run-example: no line of the output matches '$pattern'"
        exit 1
    fi
done
echo "run-example: ok"
