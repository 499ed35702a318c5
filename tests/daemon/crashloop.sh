#!/usr/bin/env bash
# A job that crashes in a loop: the delays between its starts grow (backoff), then it is FATAL
# after startretries + 1 failed starts; nothing of it is left.
. "$(dirname "$0")/lib.sh"

conf crash <<EOF2
[program:crash]
command = sh -c 'date +%%s.%%N >> $W/starts; exit 3'
environment = TREE=crash
startsecs = 5
startretries = 3
backoff_initial = 0.5
backoff_max = 30

[program:steady]
command = sleep 1000
environment = TREE=steady
EOF2
start_daemon crash
wait_state crash FATAL
[ "$(wc -l <"$W/starts")" -eq 4 ] || fail "expected 4 starts, got $(wc -l <"$W/starts")"
# The delays the daemon chose double, and the gaps seen between starts grow with them (each
# gap is its delay plus the start-up time of the run, which does not grow).
grep -q "'crash' exited 3 (failed start 1 of 4); starting again in 0.5s" "$DAEMON_LOG" ||
    fail "no first delay of 0.5s"
grep -q "'crash' exited 3 (failed start 2 of 4); starting again in 1s" "$DAEMON_LOG" ||
    fail "no second delay of 1s"
grep -q "'crash' exited 3 (failed start 3 of 4); starting again in 2s" "$DAEMON_LOG" ||
    fail "no third delay of 2s"
grep -q "'crash' exited 3; gave up after 4 failed starts in a row (FATAL)" "$DAEMON_LOG" ||
    fail "no FATAL message"
"$PYTHON" - "$W/starts" <<'PY' || fail "the gaps between starts do not grow"
import sys
t = [float(l) for l in open(sys.argv[1])]
gaps = [b - a for a, b in zip(t, t[1:])]
print("test: gaps between starts:", ", ".join("%.3f" % g for g in gaps), file=sys.stderr)
sys.exit(0 if all(b > a for a, b in zip(gaps, gaps[1:])) else 1)
PY
[ "$(field crash last_exit)" = "exited 3" ] || fail "last exit: $(field crash last_exit)"
[ "$(field crash restarts)" = 3 ] || fail "restarts: $(field crash restarts)"
absent TREE=crash
no_zombies "$DAEMON"
# A FATAL job starts again on request, with a clean slate (and fails again).
if ctl start crash 2>"$W/err"; then fail "ctl start of a crashing job succeeded"; fi
grep -q "crash: did not stay up: exited 3 (FATAL)" "$W/err" || fail "ctl start said: $(cat "$W/err")"
[ "$(wc -l <"$W/starts")" -eq 8 ] || fail "expected 8 starts, got $(wc -l <"$W/starts")"
state_is steady RUNNING || fail "the steady job is not running"
stop_daemon
absent TREE=steady
