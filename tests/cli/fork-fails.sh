#!/usr/bin/env bash
# fork-fails.sh PGSUP: a fork that fails is pgsup's failure. In a cgroup whose pids.max leaves
# room for pgsup and its engine but not for the command, posix_spawn fails with EAGAIN: pgsup
# run and pgsup timeout exit 125 with one line that says the fork failed (timeout(1)'s "fork
# system call failed"), not 126 "cannot run". Needs root and a pids controller (cgroup v1, or
# v2 with pids enabled in the root's subtree_control); skipped (77) with the reason otherwise.
set -euo pipefail
PGSUP=$1

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "making a cgroup needs root"

# The pids hierarchy: a v1 mount with the pids option, else the v2 mount if pids is enabled
# below its root. Fields of mountinfo after " - ": fstype, source, super options.
root=
while read -r line; do
    mnt=$(echo "$line" | cut -d' ' -f5)
    rest=${line#* - }
    fstype=${rest%% *}
    opts=${rest##* }
    if [ "$fstype" = cgroup ] && [[ ",$opts," == *,pids,* ]]; then root=$mnt; break; fi
    if [ "$fstype" = cgroup2 ] && [ -z "$root" ] &&
        grep -qw pids "$mnt/cgroup.subtree_control" 2>/dev/null; then root=$mnt; fi
done </proc/self/mountinfo
[ -n "$root" ] || skip "no cgroup hierarchy with the pids controller"

cg=$root/pgsup-test-fork-$$-$RANDOM
mkdir "$cg" || skip "cannot make a cgroup under $root"
errfile=$(mktemp)
cleanup() {
    rm -f "$errfile"
    # Every process of the cgroup was ours and has exited (checked below); rmdir fails if not.
    rmdir "$cg" 2>/dev/null || echo "test: cannot remove $cg: $(cat "$cg/cgroup.procs")" >&2
}
trap cleanup EXIT
echo 2 >"$cg/pids.max"

fail() { echo "test: FAIL: $*" >&2; exit 1; }

# try NAME ARGS...: the shell joins the cgroup and becomes pgsup (1 task); the engine is the
# second; the command would be the third. LeakSanitizer needs a thread of its own at exit,
# which the limit refuses too: leaks are checked by every other test.
try() {
    local name=$1 want=$2 rc=0
    shift 2
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$PGSUP" "$@" \
        2>"$errfile" || rc=$?
    err=$(cat "$errfile")
    echo "test: $name: exit $rc: $err" >&2
    [ "$rc" -eq 125 ] || fail "$name: exit $rc, expected 125"
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$name: expected one line on stderr"
    case $err in
    "$want"*) ;;
    *) fail "$name: the message does not say the fork failed" ;;
    esac
}

try run "pgsup: cannot start 'true': fork failed: Resource temporarily unavailable" run -- true
# pgsup timeout says it as coreutils' timeout does.
try timeout "timeout: fork system call failed: Resource temporarily unavailable" timeout 10 true

# Nothing of either run is left in the cgroup.
procs=$(cat "$cg/cgroup.procs")
[ -z "$procs" ] || fail "processes left in the cgroup: $procs"
echo "ok: a failed fork exits 125 with one line"
