#!/usr/bin/env bash
# pgsup as PID 1 of a new PID namespace, the way containers start it (unshare --pid --fork, as
# a runtime's `ENTRYPOINT ["pgsup", ...]`), for `pgsup run`, `pgsup timeout` and `pgsup daemon`,
# with a /proc of its own (--mount-proc) or with the host's. With the host's, /proc names other
# processes than pgsup's pids do: pgsup must see that and never act on it (it then signals the
# group and its own children; what left the group dies with PID 1, by the kernel's hand).
#
#   pidns.sh run|timeout|daemon own|host
#
# Checked: the deadline, exit statuses, a forwarded SIGTERM (a runtime's stop), an orphan of
# the namespace (re-parented to PID 1, as those of `docker exec` are) reaped at once, and
# nothing left. The CLI's cases live here because daemontest (this folder) is their driver: a
# subreaper that proves, after the script, that nothing carrying the test's marker survives.
# Before issue 9, run and timeout spun at 100% CPU with their command a zombie (the engine
# stayed in the command's group, whose number lies outside the namespace, and signalled
# itself), and with the host's /proc they walked the host's process table by our pids.
. "$(dirname "$0")/lib.sh"

FACE=${1:?run, timeout or daemon}
PROC=${2:?own or host}
[ "$(id -u)" -eq 0 ] || { echo "test: not root: skipped" >&2; exit 77; }
command -v unshare >/dev/null || { echo "test: no unshare(1): skipped" >&2; exit 77; }
PROC_OPT=()
[ "$PROC" = own ] && PROC_OPT=(--mount-proc)
unshare --pid --fork "${PROC_OPT[@]}" true 2>/dev/null ||
    { echo "test: the kernel refuses a PID namespace here: skipped" >&2; exit 77; }

# Not a function: started with &, a function runs in a subshell, and $! would be that
# subshell's pid instead of unshare's. --kill-child: if unshare dies, so does PID 1, and with
# it the namespace. In the foreground, a pgsup that hangs is a failure after $LIMIT seconds
# (exit 137), not a test that runs into daemontest's limit.
NS_BG=(unshare --pid --fork --kill-child "${PROC_OPT[@]}")
NS=(timeout -s KILL "$LIMIT" "${NS_BG[@]}")

# expect_rc WANT WHAT CMD...: CMD's exit status must be WANT.
expect_rc() {
    local want=$1 what=$2 rc=0
    shift 2
    "$@" 2>>"$W/stderr" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want ($(tail -3 "$W/stderr"))"
}

# pid1 UNSHARE: the host pid of PID 1 of the namespace, unshare's only child.
pid1() { tr -d ' ' <"/proc/$1/task/$1/children"; }

# ended UNSHARE: unshare has exited (a zombie of ours, until `wait`).
ended() { ! [ -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }

# end_of UNSHARE: waits (bounded) for unshare to exit; its status goes to $RC. (Not a $(...):
# a subshell cannot wait for our child.)
end_of() {
    RC=0
    wait_for "PID 1 to exit" ended "$1"
    wait "$1" || RC=$?
}

# An orphan of the namespace: a shell entered from outside (as `docker exec` does) leaves a
# child behind, which is re-parented to PID 1. It blocks on a FIFO until the test has seen its
# new parent, then ends: PID 1 must reap it (a zombie left under PID 1 fails the test).
orphan_reaped() {
    local init=$1 pid ppid
    mkfifo "$W/orphan"
    ORPHAN=$init nsenter --target "$init" --pid -- sh -c 'cat "$1" >/dev/null & exit 0' sh \
        "$W/orphan" || fail "nsenter into the namespace"
    wait_for "the orphan" count_is "ORPHAN=$init" 1
    pid=$("$DAEMONTEST" pids "ORPHAN=$init")
    ppid=$(cut -d' ' -f4 "/proc/$pid/stat") # "PID (cat) S PPID ..."
    [ "$ppid" = "$init" ] || fail "the orphan's parent is $ppid, not PID 1 ($init)"
    echo >"$W/orphan"
    wait_for "the orphan's end" count_is "ORPHAN=$init" 0
    no_zombies "$init"
    rm -f "$W/orphan"
}

# mktree's "ready PID..." line, for the trees that must stand before the test goes on (only
# those get PGSUP_TEST_READY_FIFO: a line nobody reads would be taken for the next tree's).
READY=$W/ready
mkfifo "$READY"
exec 3<>"$READY" # ours: the FIFO never reads as closed before mktree opens it

# ready: waits for mktree's "ready PID..." line.
ready() { read -r -t "$LIMIT" line <&3 || fail "no ready line from the tree"; }

case $FACE in
run | timeout)
    if [ "$FACE" = run ]; then
        deadline=(run --timeout 0.5 --)
        plain=(run --)
        long=(run --)
    else
        deadline=(timeout 0.5)
        plain=(timeout 100)
        long=(timeout 1000)
    fi

    say "$FACE as PID 1 ($PROC /proc): the deadline, escapees included"
    TREE=deadline expect_rc 124 deadline "${NS[@]}" "$PGSUP" "${deadline[@]}" "$MKTREE" setsid-tree \
        doublefork
    absent TREE=deadline

    say "exit statuses"
    expect_rc 7 "exit 7" "${NS[@]}" "$PGSUP" "${plain[@]}" sh -c 'exit 7'
    # PID 1 cannot die of a signal it sent itself: 128+N, which a shell sees either way.
    expect_rc 143 "killed by TERM" "${NS[@]}" "$PGSUP" "${plain[@]}" sh -c 'kill -TERM $$'
    expect_rc 127 "not found" "${NS[@]}" "$PGSUP" "${plain[@]}" pgsup-test-no-such-command

    say "a forwarded SIGTERM, and an orphan of the namespace"
    TREE=fwd PGSUP_TEST_READY_FIFO=$READY "${NS_BG[@]}" "$PGSUP" "${long[@]}" "$MKTREE" \
        setsid-tree doublefork 2>>"$W/stderr" &
    UNSHARE=$!
    ready
    init=$(pid1 "$UNSHARE")
    [ -n "$init" ] || fail "no PID 1 under unshare"
    orphan_reaped "$init"
    kill -TERM "$init"
    end_of "$UNSHARE"
    [ "$RC" -eq 143 ] || fail "after SIGTERM: exit $RC, expected 143 ($(tail -3 "$W/stderr"))"
    absent TREE=fwd

    if [ "$FACE" = run ]; then
        say "--verbose says once that /proc is not ours, and only then"
        "${NS[@]}" "$PGSUP" run -v --timeout 0.2 -- sleep 1000 2>"$W/verbose" || true
        said=$(grep -c "/proc is not this PID namespace's" "$W/verbose" || true)
        want=0
        [ "$PROC" = host ] && want=1
        [ "$said" -eq "$want" ] || fail "said $said times, expected $want: $(cat "$W/verbose")"
    fi
    ;;
daemon)
    conf pidns <<EOF2
[program:tree]
command = $MKTREE setsid-tree doublefork
environment = TREE=dtree
startsecs = 0

[program:three]
command = sh -c 'exit 3'
environment = TREE=three
autorestart = false
startsecs = 0

[program:deadline]
command = sleep 1000
environment = TREE=deadline
timeout = 0.5
autorestart = false
startsecs = 0
EOF2
    say "daemon as PID 1 ($PROC /proc)"
    PGSUP_TEST_READY_FIFO=$READY "${NS_BG[@]}" "$PGSUP" daemon -c "$W/pidns.conf" \
        >>"$DAEMON_LOG" 2>&1 &
    UNSHARE=$!
    wait_for "the daemon's socket" daemon_up
    init=$(pid1 "$UNSHARE")
    [ -n "$init" ] || fail "no PID 1 under unshare"
    ready
    wait_state tree RUNNING
    wait_state three EXITED
    [ "$(field three last_exit)" = "exited 3" ] || fail "three: $(field three last_exit)"
    wait_state deadline EXITED
    case "$(field deadline last_exit)" in
    "timed out after 0.5s"*) ;;
    *) fail "deadline: $(field deadline last_exit)" ;;
    esac
    absent TREE=deadline
    orphan_reaped "$init"
    out=$(ctl stop tree)
    [ "$out" = "tree: stopped" ] || fail "ctl stop said '$out'"
    # With our own /proc the stop takes the escapees too; without, they are out of reach
    # until PID 1 exits (below).
    [ "$PROC" = own ] && absent TREE=dtree
    ctl start tree >/dev/null
    ready
    say "SIGTERM to PID 1: every job stopped, exit 0, nothing left"
    kill -TERM "$init"
    end_of "$UNSHARE"
    [ "$RC" -eq 0 ] || fail "the daemon (PID 1) exited $RC after SIGTERM"
    check_log
    absent TREE=dtree
    ;;
*)
    fail "unknown face '$FACE'"
    ;;
esac
exec 3>&-
