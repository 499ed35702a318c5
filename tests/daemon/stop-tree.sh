#!/usr/bin/env bash
# `ctl stop` of a job whose tree has a setsid() escapee (with a child), a double-forked daemon,
# a TERM-ignoring child and a stopped grandchild: when ctl returns, nothing of the tree is
# left (not even the job's pgsup supervisor), while another job runs on untouched. Also the
# members that status reports, signal to the whole tree, and start again.
. "$(dirname "$0")/lib.sh"

conf stop <<EOF2
[program:tree]
command = $MKTREE setsid-tree doublefork ignore-term stopped
environment = TREE=tree
stopwaitsecs = 1
startsecs = 0

[program:other]
command = sleep 1000
environment = TREE=other
startsecs = 0
EOF2
start_daemon stop
wait_state tree RUNNING
# leader + setsid-tree (2) + doublefork (1) + ignore-term (1) + stopped (2) = 7, plus the
# job's pgsup helper (one process), which carries the job's environment too.
wait_for "the whole tree" count_is TREE=tree 8
members=$(field tree members)
[ "$(echo "$members" | wc -w)" -eq 7 ] || fail "status shows members '$members', expected 7"
other=$(field other pid)
# The escapees are members too: status found them outside the group.
for pid in $("$DAEMONTEST" pids TREE=tree); do
    case " $members " in
    *" $pid "*) ;;
    *) [ "$pid" = "$(field tree engine_pid)" ] || [ "$pid" = "$(field tree guard_pid)" ] ||
        fail "process $pid of the tree is not in status' members ($members)" ;;
    esac
done
out=$(ctl stop tree)
[ "$out" = "tree: stopped" ] || fail "ctl stop said '$out'"
absent TREE=tree   # at once: a stop completes only when the tree is gone
state_is tree STOPPED || fail "tree is $(field tree state)"
[ "$(field other pid)" = "$other" ] || fail "the other job was touched"
no_zombies "$DAEMON"
grep -q "'tree' stopped (killed by TERM)" "$DAEMON_LOG" || fail "no stop message"

# Again, and this time a signal to the whole tree: HUP ends every member (the TERM-ignoring
# one too, it only ignores TERM), even the escapees.
ctl start tree >/dev/null
wait_for "the whole tree" count_is TREE=tree 8
ctl signal --tree KILL tree | grep -q "tree: sent KILL to the whole tree" || fail "ctl signal"
wait_for "the tree to be gone" count_is TREE=tree 0
# KILL was sent on request: an expected end, so the job is not restarted (autorestart=unexpected)
wait_state tree EXITED
[ "$(field tree last_exit)" = "killed by KILL" ] || fail "last exit: $(field tree last_exit)"

# stop of something not running is not an error; an unknown name is
[ "$(ctl stop tree)" = "tree: not running" ] || fail "stop of a stopped job"
if ctl stop nosuch 2>/dev/null; then fail "stop of an unknown job succeeded"; fi
stop_daemon
absent TREE=other
