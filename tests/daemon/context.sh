#!/usr/bin/env bash
# The daemon started by a careless caller (nohup, a shell's `&`, a host that ignores SIGCHLD and
# leaks fds: tests/helpers/cleanctx `wrap`, every signal ignored and blocked, 20 fds without
# CLOEXEC). Its jobs must not inherit any of it, nor their pgsup supervisors: a job checks its
# own context and its supervisor's (cleanctx clean --ancestors 1: one helper since issue 12);
# a bash job with traps gets `ctl signal --tree HUP` and a stop by stopsignal=INT, which run
# its traps (before issue 9 bash started with HUP and INT ignored, could not trap them, and the
# stop took stopwaitsecs and a SIGKILL; with SIGCHLD ignored no job ever ended at all).
# (The INT trap also ends the job's last sleep: one forked after the stop's INT, between the
# HUP trap and the next wait, would otherwise outlive bash and take the stop to SIGKILL.)
. "$(dirname "$0")/lib.sh"

[ -n "${CLEANCTX:-}" ] || fail "CLEANCTX is not set: run the test with meson test"
conf context <<EOF2
[program:clean]
command = $CLEANCTX clean --ancestors 1
environment = TREE=clean
autorestart = false
startsecs = 0

[program:trap]
command = bash -c 'on_int() { echo int >>$W/sig; kill \$! 2>/dev/null; exit 0; }; trap "echo hup >>$W/sig" HUP; trap on_int INT; echo up >$W/up; while :; do sleep 1000 & wait \$!; done'
environment = TREE=trap
stopsignal = INT
stopwaitsecs = 60
startsecs = 0
EOF2
"$CLEANCTX" wrap --ignore-all --block-all --leak 20 -- \
    "$PGSUP" daemon -c "$W/context.conf" >>"$DAEMON_LOG" 2>&1 &
DAEMON=$!
wait_for "the daemon's socket" daemon_up

say "a job's context: default signals, fds 0-2, and so for its supervisor"
wait_state clean EXITED
[ "$(field clean last_exit)" = "exited 0" ] ||
    fail "the clean job: $(field clean last_exit) (see its stderr in the daemon log)"

say "traps of a bash job: HUP by ctl signal, INT by the stop"
wait_state trap RUNNING
wait_for "the trap job's start" test -s "$W/up"
# --tree: bash's sleep too (bash alone would leave it running: a background job of a script
# ignores INT, so the stop would wait for stopwaitsecs and KILL)
ctl signal --tree HUP trap | grep -q "trap: sent HUP" || fail "ctl signal --tree HUP"
wait_for "the HUP trap" grep -qx hup "$W/sig"
[ "$(field trap state)" = RUNNING ] || fail "HUP ended the job: $(field trap last_exit)"
out=$(ctl stop trap)
[ "$out" = "trap: stopped" ] || fail "ctl stop said '$out'"
grep -qx int "$W/sig" || fail "the INT trap did not run"
[ "$(field trap last_exit)" = "exited 0" ] ||
    fail "the stop ended the job by '$(field trap last_exit)', not by its INT trap"
absent TREE=trap
absent TREE=clean
stop_daemon
