#!/usr/bin/env bash
# A job's pgsup supervisor (one helper process) SIGKILLed: the tree is orphaned and
# re-parented to the daemon, a child subreaper. The daemon sees the run end without a result,
# the tree is swept by its markers and reaped: nothing is left, no zombie, and the daemon goes
# on.
#
# With "pid1" as argument, the same with the daemon as PID 1 of a new PID namespace, where it
# is everybody's reaper; then it is stopped with SIGTERM as a container runtime would.
. "$(dirname "$0")/lib.sh"

MODE=${1:-subreaper}
conf lost <<EOF2
[program:victim]
command = $MKTREE setsid-tree doublefork stopped
environment = TREE=victim
autorestart = false
startsecs = 0

[program:bystander]
command = sleep 1000
environment = TREE=bystander
startsecs = 0
EOF2

if [ "$MODE" = pid1 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "test: not root: skipped" >&2; exit 77; }
    command -v unshare >/dev/null || { echo "test: no unshare(1): skipped" >&2; exit 77; }
    unshare --pid --fork --mount-proc true 2>/dev/null ||
        { echo "test: cannot make a PID namespace here: skipped" >&2; exit 77; }
    unshare --pid --fork --mount-proc "$PGSUP" daemon -c "$W/lost.conf" >>"$DAEMON_LOG" 2>&1 &
    UNSHARE=$!
    wait_for "the daemon's socket" daemon_up
    # The daemon is unshare's only child; signals go to it by that (host) pid.
    DAEMON_PID=$(cat "/proc/$UNSHARE/task/$UNSHARE/children" | tr -d ' ')
    [ -n "$DAEMON_PID" ] || fail "no daemon under unshare"
    [ "$(field victim pid)" != "" ] || true
else
    start_daemon lost
    DAEMON_PID=$DAEMON
fi
wait_state victim RUNNING
wait_state bystander RUNNING
# leader + setsid-tree (2) + doublefork (1) + stopped (2), the pgsup helper
wait_for "the victim's tree" count_is TREE=victim 7
bystander=$(field bystander pid)

# The victim's supervisor, by its host pid: the one `pgsup run` process of its tree.
sup=
for pid in $("$DAEMONTEST" pids TREE=victim); do
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline")" in
    "$PGSUP run "*) sup="$sup $pid" ;;
    esac
done
[ "$(echo $sup | wc -w)" -eq 1 ] || fail "expected 1 supervisor process, found '$sup'"
kill -STOP $sup
kill -KILL $sup
wait_state victim EXITED
[ "$(field victim last_exit)" = "its pgsup supervisor died; tree killed" ] ||
    fail "last exit: $(field victim last_exit)"
# libpgsup, in the daemon, killed the helper's group and what carried the run's marker before
# the daemon's own sweep (by the job's marker, record and group) looked: whichever found it,
# nothing is left.
absent TREE=victim
no_zombies "$DAEMON_PID"
[ "$(field bystander pid)" = "$bystander" ] || fail "the bystander was touched"

# It starts again like any job.
ctl start victim >/dev/null
wait_for "the victim's tree" count_is TREE=victim 7

if [ "$MODE" = pid1 ]; then
    rc=0
    kill -TERM "$DAEMON_PID"
    wait "$UNSHARE" || rc=$?
    [ "$rc" -eq 0 ] || fail "the daemon (PID 1) exited $rc after SIGTERM"
    check_log
else
    stop_daemon
fi
absent TREE=victim
absent TREE=bystander
