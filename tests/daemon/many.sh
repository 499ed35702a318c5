#!/usr/bin/env bash
# 200 jobs started, stopped, started again, then the daemon stopped with SIGTERM: every tree
# gone each time, no zombie.
. "$(dirname "$0")/lib.sh"

N=200
for i in $(seq $N); do
    printf '[program:j%03d]\ncommand = sleep 1000\nenvironment = TREE=many\nstartsecs = 0\n\n' "$i"
done | conf many
running() { [ "$(ctl status | grep -c ' RUNNING ')" -eq "$1" ]; }
start_daemon many
wait_for "$N jobs running" running $N
# each job: sleep + its pgsup helper
wait_for "every tree" count_is TREE=many $((N * 2))
say "$N jobs running"
out=$(ctl stop all)
[ "$(echo "$out" | grep -c ': stopped$')" -eq $N ] || fail "ctl stop all said: $out"
absent TREE=many
[ "$(ctl status | grep -c ' STOPPED ')" -eq $N ] || fail "not every job is STOPPED"
no_zombies "$DAEMON"
say "$N jobs stopped"
out=$(ctl start all)
[ "$(echo "$out" | grep -c ': started (pid [0-9]*)$')" -eq $N ] || fail "ctl start all said: $out"
wait_for "every tree" count_is TREE=many $((N * 2))
say "$N jobs running again"
stop_daemon
absent TREE=many
