#!/usr/bin/env bash
# A job whose tree holds a process whose main thread has exited while another thread runs:
# /proc shows it as a zombie ('Z'), yet it lives. status must list it among the members, a
# stop must end it, and crash recovery must kill it when the daemon and the job's supervisor
# died together and left it behind.
. "$(dirname "$0")/lib.sh"

conf threads <<EOF2
[program:x]
command = $MKTREE main-thread-exited
environment = TREE=x
startsecs = 0
EOF2

# alive PID: the process exists and is not a zombie, or has a live thread besides its main one.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    set -- $stat
    [ "$1" != Z ] && [ "$1" != X ] || [ "${18}" -gt 1 ]
}

# The tree's process that is neither its leader nor its supervisor: the one under test.
find_threaded() {
    local leader engine guard pid
    leader=$(field x pid)
    engine=$(field x engine_pid)
    guard=$(field x guard_pid)
    for pid in $("$DAEMONTEST" pids TREE=x); do
        case " $leader $engine $guard " in
        *" $pid "*) ;;
        *) echo "$pid" ;;
        esac
    done
}

start_daemon threads
wait_state x RUNNING
# mktree's leader and the process under test, the pgsup helper
wait_for "x's tree" count_is TREE=x 3
threaded=$(find_threaded)
[ -n "$threaded" ] || fail "the process under test is not there"
[ "$(cut -d' ' -f3 "/proc/$threaded/stat")" = Z ] || fail "$threaded's main thread has not exited"
case " $(field x members) " in
*" $threaded "*) ;;
*) fail "status leaves out the live process $threaded (members: $(field x members))" ;;
esac

say "stop"
out=$(ctl stop x)
[ "$out" = "x: stopped" ] || fail "ctl stop said '$out'"
absent TREE=x

say "the daemon and the supervisor SIGKILLed together, then a restart"
ctl start x >/dev/null
wait_for "x's tree" count_is TREE=x 3
threaded=$(find_threaded)
victims="$DAEMON $(field x engine_pid) $(field x guard_pid)"
# Frozen first, so that none of them can clean up after the others.
kill -STOP $victims
kill -KILL $victims
wait "$DAEMON" || true
DAEMON=
alive "$threaded" || fail "$threaded died with the supervisor (the test needs it alive)"
start_daemon threads
wait_state x RUNNING
grep -q "recovery: killed [0-9]* processes left" "$DAEMON_LOG" || fail "no recovery"
! alive "$threaded" || fail "recovery left the live process $threaded"
wait_for "x's new tree" count_is TREE=x 3
stop_daemon
absent TREE=x
