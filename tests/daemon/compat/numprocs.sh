#!/usr/bin/env bash
# compat/numprocs.sh: numprocs= runs that many instances of a program, as supervisord does:
# each a job with a process group of its own, named GROUP:PROCESS after process_name=
# (worker:worker_00 in the group worker) and addressed so by ctl (one instance, GROUP:*, or
# the GROUP alone), numprocs= from the environment, supervisord's variables in each
# instance's environment, and a reload that changes numprocs touching only the instances that
# come or go.
. "$(dirname "$0")/../lib.sh"

export PGSUP_T_WORKERS=3
conf numprocs <<EOF2
[program:worker]
command = sh -c 'echo "\$SUPERVISOR_ENABLED \$SUPERVISOR_PROCESS_NAME \$SUPERVISOR_GROUP_NAME %(process_num)d" >$W/%(process_num)s.out; exec sleep 1000'
process_name = %(program_name)s_%(process_num)02d
numprocs = %(ENV_PGSUP_T_WORKERS)s
environment = TREE=worker-%(process_num)s
startsecs = 0

[program:web]
command = sleep 1000
environment = TREE=web
startsecs = 0
EOF2
start_daemon numprocs
for i in 00 01 02; do wait_state "worker:worker_$i" RUNNING; done
wait_state web RUNNING

say "one job per instance, named as supervisord names them"
ctl status | awk 'NR > 1 {print $1}' >"$W/names"
printf 'web\nworker:worker_00\nworker:worker_01\nworker:worker_02\n' | diff -u - "$W/names" ||
    fail "the jobs are not supervisord's processes"
pgids=$(for i in 00 01 02; do field "worker:worker_$i" pgid; done | sort -u | wc -l)
[ "$pgids" -eq 3 ] || fail "the instances share process groups"
for i in 0 1 2; do
    wait_for "instance $i's file" test -s "$W/$i.out"
    [ "$(cat "$W/$i.out")" = "1 worker_0$i worker $i" ] || fail "instance $i: $(cat "$W/$i.out")"
done
# supervisord's variables, for a program that is its own group too
env_of() { tr '\0' '\n' <"/proc/$(field "$1" pid)/environ"; }
env_of web | grep -qx SUPERVISOR_PROCESS_NAME=web || fail "web: no SUPERVISOR_PROCESS_NAME"
env_of web | grep -qx SUPERVISOR_GROUP_NAME=web || fail "web: no SUPERVISOR_GROUP_NAME"
env_of web | grep -qx SUPERVISOR_ENABLED=1 || fail "web: no SUPERVISOR_ENABLED"

say "one instance stops alone; its group's status is then 3 (not running), the others' 0"
worker0=$(field worker:worker_00 pid)
[ "$(ctl stop worker:worker_01)" = "worker:worker_01: stopped" ] || fail "stop worker:worker_01"
absent TREE=worker-1
[ "$(field worker:worker_00 pid)" = "$worker0" ] || fail "worker_00 was touched"
state_is worker:worker_02 RUNNING || fail "worker_02 was touched"
rc=0; ctl status worker >/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "status of a group with a stopped instance: exit $rc"
rc=0; ctl status worker:worker_00 worker:worker_02 >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "status of running instances: exit $rc"

say "GROUP:* starts what is not running"
ctl start 'worker:*' >"$W/out"
grep -qx "worker:worker_01: started (pid [0-9]*)" "$W/out" || fail "start worker:*: $(cat "$W/out")"
grep -qx "worker:worker_00: already running (pid $worker0)" "$W/out" ||
    fail "start worker:*: $(cat "$W/out")"

say "the GROUP alone is every instance; web stays"
web=$(field web pid)
ctl stop worker >"$W/out"
[ "$(grep -c ': stopped$' "$W/out")" -eq 3 ] || fail "stop worker: $(cat "$W/out")"
for i in 0 1 2; do absent "TREE=worker-$i"; done
[ "$(field web pid)" = "$web" ] || fail "web was touched"
ctl start worker >/dev/null
for i in 00 01 02; do state_is "worker:worker_$i" RUNNING || fail "worker_$i did not start"; done

say "reload with numprocs = 2: worker_02 goes, the others keep running"
keep0=$(field worker:worker_00 pid)
keep1=$(field worker:worker_01 pid)
sed -i 's/^numprocs = .*/numprocs = 2/' "$W/numprocs.conf"
out=$(ctl reload)
[ "$out" = "reloaded: 0 added, 1 removed, 0 changed, 3 unchanged" ] || fail "reload: $out"
wait_for "worker_02 to be gone" sh -c "! '$PGSUP' ctl -s '$SOCK' status worker:worker_02"
absent TREE=worker-2
[ "$(field worker:worker_00 pid)" = "$keep0" ] && [ "$(field worker:worker_01 pid)" = "$keep1" ] ||
    fail "the instances that stay were restarted"
stop_daemon
for t in worker-0 worker-1 web; do absent "TREE=$t"; done
