#!/usr/bin/env bash
# compat/groups.sh: [group:x] programs=a,b: the programs' jobs are x:a and x:b, ctl takes x,
# x:* and x:a wherever it takes names, %(group_name)s is x, and priority= orders the groups
# (then the jobs in a group by their own), for the start and, reversed, for the daemon's stop.
. "$(dirname "$0")/../lib.sh"

conf groups <<EOF2
[group:web]
programs = nginx, app
priority = 10

[program:nginx]
command = sh -c 'echo %(group_name)s/%(program_name)s >$W/nginx.out; exec sleep 1000'
priority = 20
environment = TREE=nginx
startsecs = 0

[program:app]
command = sleep 1000
priority = 5
environment = TREE=app
startsecs = 0

[program:db]
command = sleep 1000
priority = 1
environment = TREE=db
startsecs = 0

[program:worker]
command = sleep 1000
priority = 100
environment = TREE=worker
startsecs = 0
EOF2
start_daemon groups
for j in db web:app web:nginx worker; do wait_state "$j" RUNNING; done

say "names and order: groups by priority, then a group's jobs by theirs"
ctl status | awk 'NR > 1 {print $1}' | tr '\n' ' ' >"$W/names"
[ "$(cat "$W/names")" = "db web:app web:nginx worker " ] || fail "status order: $(cat "$W/names")"
grep -o "'[a-z:]*' started" "$DAEMON_LOG" | tr -d "'" | awk '{print $1}' | tr '\n' ' ' >"$W/started"
[ "$(cat "$W/started")" = "db web:app web:nginx worker " ] || fail "start order: $(cat "$W/started")"
wait_for "nginx's file" test -s "$W/nginx.out"
[ "$(cat "$W/nginx.out")" = "web/nginx" ] || fail "%(group_name)s: $(cat "$W/nginx.out")"

say "ctl takes GROUP:PROCESS, GROUP:* and GROUP"
[ "$(ctl stop web:nginx)" = "web:nginx: stopped" ] || fail "stop web:nginx"
absent TREE=nginx
state_is web:app RUNNING || fail "web:app was stopped too"
ctl start 'web:*' | grep -qx "web:nginx: started (pid [0-9]*)" || fail "start web:*"
ctl stop web >"$W/out"
printf 'web:app: stopped\nweb:nginx: stopped\n' | diff -u - "$W/out" || fail "stop web"
absent TREE=nginx
absent TREE=app
state_is db RUNNING && state_is worker RUNNING || fail "stop web stopped others"
rc=0; ctl start web:nope 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no job 'web:nope'" "$W/err" || fail "start web:nope: exit $rc"
ctl start web >/dev/null
rc=0; ctl status web db >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "status web db: exit $rc"
# supervisorctl's "db:db" is the job db, a group of its own
[ "$(field db:db name)" = db ] || fail "db:db is not db"

say "the daemon's stop: in the reverse order, a level once the one before is gone"
stop_daemon
grep -o "'[a-z:]*' stopping" "$DAEMON_LOG" | tr -d "'" | awk '{print $1}' | tail -4 |
    tr '\n' ' ' >"$W/stopped"
[ "$(cat "$W/stopped")" = "worker web:nginx web:app db " ] || fail "stop order: $(cat "$W/stopped")"
for t in db app nginx worker; do absent "TREE=$t"; done
