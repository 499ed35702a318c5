#!/usr/bin/env bash
# A graceful stop lets the tree shut down. Each job is a shell whose TERM trap runs a cleanup
# that takes 1 s and then writes a file: forked after the stop signal, the cleanup gets no
# second signal. With stopwaitsecs = 3 it finishes (the file is there when `ctl stop`
# returns); with stopwaitsecs = 0.2 the KILL ends it and the rest of the tree. Either way
# nothing of the tree is left.
. "$(dirname "$0")/lib.sh"

conf graceful <<EOF2
[program:slow]
command = bash -c 'trap "sleep 1 && echo done > %(here)s/slow.out; exit 0" TERM; sleep 1000 & wait'
environment = TREE=slow
stopwaitsecs = 3
startsecs = 0

[program:hasty]
command = bash -c 'trap "sleep 1 && echo done > %(here)s/hasty.out; exit 0" TERM; sleep 1000 & wait'
environment = TREE=hasty
stopwaitsecs = 0.2
startsecs = 0
EOF2
start_daemon graceful
wait_state slow RUNNING
wait_state hasty RUNNING
# bash and its background sleep (started once the trap is set), the pgsup helper
wait_for "slow's tree" count_is TREE=slow 3
wait_for "hasty's tree" count_is TREE=hasty 3

out=$(ctl stop slow)
[ "$out" = "slow: stopped" ] || fail "ctl stop said '$out'"
[ -f "$W/slow.out" ] || fail "the cleanup of the TERM trap did not finish within 3 s"
absent TREE=slow
grep -q "'slow' stopped (exited 0)" "$DAEMON_LOG" || fail "slow did not exit 0 by itself"

out=$(ctl stop hasty)
[ "$out" = "hasty: stopped" ] || fail "ctl stop said '$out'"
absent TREE=hasty
[ ! -f "$W/hasty.out" ] || fail "the cleanup finished although the grace was 0.2 s"
grep -q "'hasty' stopped (killed by KILL after the grace)" "$DAEMON_LOG" ||
    fail "hasty was not KILLed"
no_zombies "$DAEMON"
stop_daemon
