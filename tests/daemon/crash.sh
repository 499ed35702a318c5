#!/usr/bin/env bash
# The daemon SIGKILLed.
#  1. Not restarted: every tree dies anyway (each job's pgsup supervisor sees the daemon's end
#     of its control socket close and kills its tree): no orphan.
#  2. Restarted while the old trees still live (their supervisors frozen with SIGSTOP, so they
#     cannot clean up): the new daemon kills them before it starts anything: no duplicate.
#  3. Restarted after the daemon and every job's supervisor were SIGKILLed at once (the trees
#     are orphans now, re-parented to the test's subreaper): found by the state file and the
#     marker, killed: no orphan, no duplicate.
. "$(dirname "$0")/lib.sh"

conf crash <<EOF2
[program:a]
command = $MKTREE setsid-tree doublefork
environment = TREE=a
startsecs = 0

[program:b]
command = $MKTREE ignore-term stopped
environment = TREE=b
startsecs = 0
EOF2
# mktree's processes + the job's pgsup helper (one process: guard_pid = engine_pid)
A=5
B=5

start_trees() {
    start_daemon crash
    wait_state a RUNNING
    wait_state b RUNNING
    wait_for "a's tree" count_is TREE=a $A
    wait_for "b's tree" count_is TREE=b $B
}

say "1. SIGKILL, no restart"
start_trees
kill_daemon
absent TREE=a "$LIMIT"
absent TREE=b "$LIMIT"
[ -f "$W/state" ] || fail "no state file after a crash"

say "2. SIGKILL with the supervisors frozen, then restart"
start_trees
old_a=$(field a pid)
old_b=$(field b pid)
engines="$(field a engine_pid) $(field b engine_pid)"
run_a=$(field a run)
kill -STOP $engines
kill_daemon
count_is TREE=a $A || fail "a's old tree is not there any more (it should be frozen)"
start_trees
grep -q "recovery: killed [0-9]* processes left by an earlier daemon" "$DAEMON_LOG" ||
    fail "the new daemon did not recover"
[ "$(field a run)" != "$run_a" ] || fail "a kept its old run"
for pid in $old_a $old_b $engines; do
    [ ! -d "/proc/$pid" ] || [ "$(cut -d' ' -f3 "/proc/$pid/stat")" = Z ] ||
        fail "old process $pid survived the recovery"
done
# No duplicate: exactly one tree per job.
count_is TREE=a $A || fail "a has $(count TREE=a) processes, expected $A"
count_is TREE=b $B || fail "b has $(count TREE=b) processes, expected $B"

say "3. SIGKILL of the daemon and of every supervisor, then restart"
victims="$DAEMON $(field a engine_pid) $(field a guard_pid) $(field b engine_pid) $(field b guard_pid)"
old_a=$(field a pid)
# Frozen first, so that none of them can clean up after the others (an engine that saw the
# daemon go would kill its tree; the daemon that saw a supervisor go would sweep its tree).
kill -STOP $victims
kill -KILL $victims
wait "$DAEMON" || true
DAEMON=
[ -d "/proc/$old_a" ] || fail "a's tree died with its supervisors (the test needs it alive)"
start_trees
[ "$(grep -c "recovery: killed [0-9]* processes left" "$DAEMON_LOG")" -eq 2 ] ||
    fail "no second recovery"
[ ! -d "/proc/$old_a" ] || [ "$(cut -d' ' -f3 "/proc/$old_a/stat")" = Z ] ||
    fail "orphaned leader $old_a survived the recovery"
count_is TREE=a $A || fail "a has $(count TREE=a) processes, expected $A"
count_is TREE=b $B || fail "b has $(count TREE=b) processes, expected $B"
grep -q "recovery: killed 8 processes left" "$DAEMON_LOG" || fail "not both orphaned trees"
no_zombies "$DAEMON"
stop_daemon
[ ! -f "$W/state" ] || fail "the state file is left after a clean stop"
absent TREE=a
absent TREE=b
