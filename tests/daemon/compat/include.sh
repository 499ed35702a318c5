#!/usr/bin/env bash
# compat/include.sh: Debian's layout, every program in a file of conf.d/ that the main file's
# [include] names (globs relative to the including file, nested includes, a pattern without a
# match only a warning), and supervisorctl's way of following edits there: avail, reread
# (what would change, changing nothing), update (all or one group: only the jobs that differ
# are touched), add and remove. An error in an included file names that file and its line.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$W/etc/conf.d" "$W/etc/more"
cat >"$W/etc/supervisord.conf" <<EOF2
[pgsup]
socket = $SOCK
state = $W/state

[supervisord]
logfile = /var/log/supervisor/supervisord.log

[include]
files = conf.d/*.conf optional.d/*.conf
EOF2
cat >"$W/etc/conf.d/app.conf" <<EOF2
[program:app]
command = sleep 1000
environment = TREE=app
startsecs = 0
EOF2
cat >"$W/etc/conf.d/queue.conf" <<EOF2
[program:queue]
command = sleep 1000
process_name = %(program_name)s_%(process_num)s
numprocs = 2
environment = TREE=queue-%(process_num)s
startsecs = 0

[include]
files = ../more/*.ini
EOF2
cat >"$W/etc/more/cron.ini" <<EOF2
[program:cron]
command = sleep 1000
environment = TREE=cron
startsecs = 0
EOF2
start_daemon etc/supervisord
for j in app cron queue:queue_0 queue:queue_1; do wait_state "$j" RUNNING; done
grep -q "warning: .*supervisord.conf:9: \[include\] files: no file matches '$W/etc/optional.d/\*.conf'" \
    "$DAEMON_LOG" || fail "no warning for the pattern without a match"

say "avail, reread: nothing to do"
ctl avail >"$W/out"
[ "$(grep -c ' in use  *auto  *999:999$' "$W/out")" -eq 4 ] || fail "avail: $(cat "$W/out")"
[ "$(ctl reread)" = "No config updates to processes" ] || fail "reread: $(ctl reread)"

say "a new file in conf.d: reread shows it, update starts it, nothing else is touched"
app=$(field app pid)
cat >"$W/etc/conf.d/new.conf" <<EOF2
[program:new]
command = sleep 1000
environment = TREE=new
startsecs = 0
EOF2
[ "$(ctl reread)" = "new: available" ] || fail "reread: $(ctl reread)"
rc=0; ctl status new 2>/dev/null || rc=$?
[ "$rc" -eq 4 ] || fail "reread started new (status: exit $rc)"
[ "$(ctl update)" = "new: added process group" ] || fail "update: $(ctl update)"
wait_state new RUNNING
[ "$(field app pid)" = "$app" ] || fail "app was restarted"

say "update GROUP: only that group"
queue0=$(field queue:queue_0 pid)
sed -i 's/^numprocs = 2/numprocs = 3/' "$W/etc/conf.d/queue.conf"
sed -i 's/^command = sleep 1000/command = sleep 999/' "$W/etc/conf.d/app.conf"
ctl reread >"$W/out"
printf 'app: changed\nqueue: changed\n' | diff -u - "$W/out" || fail "reread"
[ "$(ctl update queue)" = "queue: updated process group" ] || fail "update queue"
wait_state queue:queue_2 RUNNING
[ "$(field queue:queue_0 pid)" = "$queue0" ] || fail "an unchanged instance was restarted"
[ "$(field app pid)" = "$app" ] || fail "update queue touched app"
[ "$(ctl reread)" = "app: changed" ] || fail "reread after update queue: $(ctl reread)"
ctl update app >"$W/out"
printf 'app: stopped\napp: updated process group\n' | diff -u - "$W/out" || fail "update app"
wait_state app RUNNING
[ "$(field app pid)" != "$app" ] || fail "app was not restarted"

say "a removed file: update stops the group and returns once its tree is gone"
rm "$W/etc/more/cron.ini"
[ "$(ctl reread)" = "cron: disappeared" ] || fail "reread: $(ctl reread)"
ctl update >"$W/out"
printf 'cron: stopped\ncron: removed process group\n' | diff -u - "$W/out" || fail "update"
absent TREE=cron

say "remove a stopped group, add it back"
rc=0; ctl remove app 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "app: still running" "$W/err" || fail "remove of a running group"
ctl stop app >/dev/null
[ "$(ctl remove app)" = "app: removed process group" ] || fail "remove app"
rc=0; ctl status app 2>/dev/null || rc=$?
[ "$rc" -eq 4 ] || fail "status of a removed group: exit $rc"
ctl avail | grep -q '^app  *avail  *auto ' || fail "avail: $(ctl avail)"
[ "$(ctl reread)" = "app: available" ] || fail "reread: $(ctl reread)"
[ "$(ctl add app)" = "app: added process group" ] || fail "add app"
wait_state app RUNNING
[ "$(ctl add app)" = "app: process group already active" ] || fail "add app again"
rc=0; ctl add nosuch 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no such group: nosuch" "$W/err" || fail "add nosuch: exit $rc"

say "an error in an included file: refused, naming that file and line"
printf '[program:bad]\ncommand = sleep 1000\nstartsecs = soon\n' >"$W/etc/conf.d/bad.conf"
for req in reload reread update avail; do
    rc=0; ctl "$req" 2>"$W/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$req with a bad included file: exit $rc"
    grep -q "$W/etc/conf.d/bad.conf:3: \[program:bad\] startsecs: 'soon' is not a duration" "$W/err" ||
        fail "$req: $(cat "$W/err")"
done
rc=0; "$PGSUP" daemon --check -c "$W/etc/supervisord.conf" >/dev/null 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "conf.d/bad.conf:3: " "$W/err" || fail "--check: exit $rc: $(cat "$W/err")"
rm "$W/etc/conf.d/bad.conf"
for j in app new queue:queue_0 queue:queue_1 queue:queue_2; do state_is "$j" RUNNING || fail "$j"; done

stop_daemon
for t in app new queue-0 queue-1 queue-2 cron; do absent "TREE=$t"; done
