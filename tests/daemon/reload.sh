#!/usr/bin/env bash
# Reload: only the difference is applied. An unchanged job keeps its pid; a removed one is
# stopped (whole tree); a changed one restarted; an added one started. A bad config is refused
# as a whole with file:line: key, and every job keeps running as it was. SIGHUP reloads too.
. "$(dirname "$0")/lib.sh"

conf reload <<EOF2
[program:keep]
command = $MKTREE setsid
environment = TREE=keep
startsecs = 0

[program:remove]
command = $MKTREE setsid doublefork
environment = TREE=remove
startsecs = 0

[program:change]
command = sleep 1000
environment = TREE=change
startsecs = 0
EOF2
start_daemon reload
for j in keep remove change; do wait_state "$j" RUNNING; done
wait_for "keep's tree" count_is TREE=keep 3    # leader, escapee, pgsup helper
wait_for "remove's tree" count_is TREE=remove 4
keep=$(field keep pid)
change=$(field change pid)

conf reload <<EOF2
[program:keep]
command = $MKTREE setsid
environment = TREE=keep
startsecs = 0

[program:change]
command = sleep 999
environment = TREE=change
startsecs = 0

[program:add]
command = sleep 1000
environment = TREE=add
startsecs = 0
EOF2
out=$(ctl reload)
[ "$out" = "reloaded: 1 added, 1 removed, 1 changed, 1 unchanged" ] || fail "reload said '$out'"
wait_state add RUNNING
wait_for "change to run again" test "$(field change pid)" != "$change"
wait_state change RUNNING
ctl status change | grep -q 'RUNNING' || fail "change is not running"
[ "$(ctl status --json change | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["command"])')" = "sleep 999" ] ||
    fail "change runs the old command"
wait_for "remove to be gone from status" sh -c "! '$PGSUP' ctl -s '$SOCK' status remove"
absent TREE=remove
[ "$(field keep pid)" = "$keep" ] || fail "the unchanged job was restarted"
count_is TREE=keep 3 || fail "the unchanged job's tree changed"
count_is TREE=change 2 || fail "change has $(count TREE=change) processes, expected 2"

# A bad file: refused whole, with file, line and key; nothing changes.
cp "$W/reload.conf" "$W/good.conf"
cat >>"$W/reload.conf" <<EOF2

[program:bad]
command = sleep 1000
stopsignal = TREM
EOF2
if ctl reload 2>"$W/err"; then fail "a bad config was accepted"; fi
grep -q "reload.conf:[0-9]*: \[program:bad\] stopsignal: .*keeping the running config" "$W/err" ||
    fail "the error does not name file, line and key: $(cat "$W/err")"
grep -q "reload.conf:[0-9]*: \[program:bad\] stopsignal" "$DAEMON_LOG" ||
    fail "the daemon did not report the error"
[ "$(field keep pid)" = "$keep" ] || fail "a refused reload touched keep"
ctl status bad 2>/dev/null && fail "a job of the refused file exists"
# A syntax error too.
printf '[program:x\ncommand=true\n' >"$W/reload.conf"
if ctl reload 2>"$W/err"; then fail "a broken file was accepted"; fi
grep -q "reload.conf:1" "$W/err" || fail "no line in: $(cat "$W/err")"
for j in keep change add; do state_is "$j" RUNNING || fail "$j stopped after a refused reload"; done

# SIGHUP: the same reload, from the daemon's own signal.
cp "$W/good.conf" "$W/reload.conf"
cat >>"$W/reload.conf" <<EOF2

[program:hup]
command = sleep 1000
environment = TREE=hup
startsecs = 0
EOF2
kill -HUP "$DAEMON"
wait_for "the job added by SIGHUP" state_is hup RUNNING
[ "$(field keep pid)" = "$keep" ] || fail "SIGHUP restarted keep"
stop_daemon
for t in keep change add hup; do absent "TREE=$t"; done
