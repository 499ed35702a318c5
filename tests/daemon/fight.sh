#!/usr/bin/env bash
# Jobs that fight their own pgsup supervisor. The helper (the "engine": one process per job
# since issue 12, the daemon being its guard) is the command's parent ($PPID) and runs as the
# same user, so a job can stop it, trace it, or kill it. Whatever it does, a stop must end within stopwaitsecs and a small bound (the daemon notices and takes
# over the tree), the daemon's SIGTERM shutdown must end, and nothing of the tree may survive.
# No duration is asserted: a stop that hangs is caught by the generous limit of `stop_within`.
#
# Each attack waits for a file the test makes once the job is RUNNING (its start reported), so
# that it hits a running supervisor; one job attacks at once, before the report, which
# libpgsup's start answers by continuing the engine.
. "$(dirname "$0")/lib.sh"

# Waits for the test's go (the file go-NAME).
GO='while [ ! -e $0 ]; do sleep 0.05; done'

# A tracer of its own engine: PTRACE_ATTACH holds the engine in a tracing stop for as long as
# the tracer lives. It says in $2 whether the kernel let it, after the go file $1.
cat >"$W/tracer.py" <<'PY'
import ctypes, os, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
libc = ctypes.CDLL(None, use_errno=True)
ok = libc.ptrace(16, os.getppid(), 0, 0) == 0  # PTRACE_ATTACH
with open(sys.argv[2], "w") as f:
    f.write("yes" if ok else "no: errno %d" % ctypes.get_errno())
time.sleep(1000)
PY

conf fight <<EOF
[program:stop-at-once]
command = sh -c 'kill -STOP \$PPID; exec sleep 1000'
environment = TREE=stop-at-once
stopwaitsecs = 1
startsecs = 0
autorestart = false

[program:stop-engine]
command = sh -c '$GO; kill -STOP \$PPID; exec sleep 1000' $W/go-stop-engine
environment = TREE=stop-engine
stopwaitsecs = 1
startsecs = 0
autorestart = false
autostart = false

[program:kill-engine]
command = sh -c '$GO; sleep 1000 & setsid sleep 1000 & kill -KILL \$PPID; wait' $W/go-kill-engine
environment = TREE=kill-engine
stopwaitsecs = 1
startsecs = 0
autorestart = false
autostart = false

[program:trace-engine]
command = $PYTHON $W/tracer.py $W/go-trace-engine $W/traced
environment = TREE=trace-engine
stopwaitsecs = 1
startsecs = 0
autorestart = false
autostart = false
EOF

# attack NAME: starts the job, and once its start is reported, lets it attack.
attack() {
    rm -f "$W/go-$1"
    ctl start "$1" >/dev/null
    touch "$W/go-$1"
}

# stop_within NAME: ctl stop must return 0 (the whole tree gone) within the test's limit.
stop_within() {
    local rc=0
    timeout "$LIMIT" "$PGSUP" ctl -s "$SOCK" stop "$1" >"$W/out" 2>&1 || rc=$?
    [ "$rc" -ne 124 ] || fail "ctl stop $1 still waits after ${LIMIT}s"
    [ "$rc" -eq 0 ] || fail "ctl stop $1: exit $rc: $(cat "$W/out")"
    grep -qx "$1: stopped" "$W/out" || fail "ctl stop $1: $(cat "$W/out")"
    absent "TREE=$1"
}

# proc_state NAME FIELD: the state letter of the job's helper (T: stopped, t: traced).
proc_state() { cut -d' ' -f3 "/proc/$(field "$1" "$2")/stat"; }
proc_is() { [ "$(proc_state "$1" "$2")" = "$3" ]; }

start_daemon fight

say "a job that SIGSTOPs its engine before the start is reported: the daemon does not hang"
wait_state stop-at-once RUNNING
stop_within stop-at-once

say "a job that SIGSTOPs its engine: ctl stop ends, the daemon takes over"
attack stop-engine
wait_for "stop-engine's engine to be stopped" proc_is stop-engine engine_pid T
stop_within stop-engine
field stop-engine last_exit | grep -q "stopped or stuck" ||
    fail "last exit: $(field stop-engine last_exit)"

say "a job that SIGKILLs its engine: libpgsup and the daemon kill the tree, the daemon reaps it"
attack kill-engine
wait_state kill-engine EXITED
field kill-engine last_exit | grep -q "supervisor died" ||
    fail "last exit: $(field kill-engine last_exit)"
absent TREE=kill-engine "$LIMIT"

say "a job that ptrace-attaches its engine: ctl stop ends"
attack trace-engine
wait_for "the tracer to try" test -s "$W/traced"
if [ "$(cat "$W/traced")" = yes ]; then
    wait_for "trace-engine's engine to be traced" proc_is trace-engine engine_pid t
else
    say "the kernel refused the attach ($(cat "$W/traced")): the stop is tried all the same"
fi
stop_within trace-engine

say "the daemon's SIGTERM with a job that stopped its engine: the daemon exits 0"
attack stop-engine
wait_for "stop-engine's engine to be stopped" proc_is stop-engine engine_pid T
kill -TERM "$DAEMON"
end=$((SECONDS + LIMIT))
while kill -0 "$DAEMON" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$DAEMON/stat")" != Z ]; do
    [ "$SECONDS" -lt "$end" ] || fail "the daemon still runs ${LIMIT}s after SIGTERM"
    sleep 0.05
done
rc=0
wait "$DAEMON" || rc=$?
DAEMON=
[ "$rc" -eq 0 ] || fail "the daemon exited $rc after SIGTERM"
check_log
absent TREE=stop-engine
