#!/usr/bin/env bash
# compat/ctl.sh: pgsup ctl as supervisorctl users type it. Exit statuses (bare ctl: usage and
# 2; status: supervisorctl 4.2's LSB table, JSON for an unknown name too; pid: the daemon's,
# a job's, 7 for one not running), signal to the command alone by default (the master of a
# pre-forking server reloads its workers itself) and --tree to the whole tree, "cannot start"
# saying what is missing, a missing log directory refused at load, daemon --check, and ctl -c
# reading only the socket: a broken job section or an unset %(ENV_X)s does not keep ctl from
# the daemon, and reload of a bad file exits 1 however the socket was found.
. "$(dirname "$0")/../lib.sh"

say "bare ctl: usage, exit 2"
rc=0; "$PGSUP" ctl >"$W/out" 2>"$W/err" || rc=$?
[ "$rc" -eq 2 ] || fail "bare ctl: exit $rc"
grep -q '^Usage: pgsup ctl' "$W/err" && [ ! -s "$W/out" ] || fail "bare ctl: no usage on stderr"
rc=0; "$PGSUP" ctl --frobnicate status 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc"

printf '#!/nonexistent/interpreter\n' >"$W/script"
chmod +x "$W/script"
conf ctl <<EOF2
[program:sig]
command = bash -c 'trap "echo usr1 >>$W/usr1" USR1; sleep 1000 & echo \$! >$W/child; while kill -0 \$! 2>/dev/null; do wait \$!; done; exit 3'
environment = TREE=sig
autorestart = false
startsecs = 0

[program:idle]
command = sleep 1000
environment = TREE=idle
autostart = false

[program:nocmd]
command = $W/nonexistent/cmd
startretries = 0

[program:nopath]
command = pgsup-test-no-such-command
startretries = 0

[program:nointerp]
command = $W/script
startretries = 0

[program:nodir]
command = sleep 1000
directory = $W/gone
startretries = 0
EOF2
start_daemon ctl
wait_state sig RUNNING

say "cannot start: the command, its interpreter, or directory="
for j in nocmd nopath nointerp nodir; do wait_state "$j" FATAL; done
[ "$(field nocmd last_exit)" = "cannot start: command '$W/nonexistent/cmd': No such file or directory" ] ||
    fail "nocmd: $(field nocmd last_exit)"
[ "$(field nopath last_exit)" = "cannot start: command 'pgsup-test-no-such-command' not found in PATH" ] ||
    fail "nopath: $(field nopath last_exit)"
[ "$(field nointerp last_exit)" = "cannot start: command '$W/script': its interpreter (the #! line) was not found" ] ||
    fail "nointerp: $(field nointerp last_exit)"
[ "$(field nodir last_exit)" = "cannot start: directory '$W/gone' (directory=): No such file or directory" ] ||
    fail "nodir: $(field nodir last_exit)"

say "status: 0 running, 3 a job not running, 4 a name of no job (3 wins, as supervisorctl)"
st() { local rc=0; ctl status "$@" >"$W/out" 2>"$W/err" || rc=$?; echo "$rc"; }
[ "$(st sig)" -eq 0 ] || fail "status sig"
[ "$(st idle)" -eq 3 ] || fail "status idle"
[ "$(st)" -eq 3 ] || fail "status (all, some not running)"
[ "$(st nosuch)" -eq 4 ] || fail "status nosuch"
grep -q "no job 'nosuch'" "$W/err" || fail "status nosuch: $(cat "$W/err")"
[ "$(st sig nosuch)" -eq 4 ] || fail "status sig nosuch"
[ "$(st idle nosuch)" -eq 3 ] || fail "status idle nosuch"
[ "$(st --json nosuch sig)" -eq 4 ] || fail "status --json nosuch sig"
[ ! -s "$W/err" ] || fail "status --json wrote on stderr: $(cat "$W/err")"
"$PYTHON" -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["unknown"] == ["nosuch"], v
assert [j["name"] for j in v["jobs"]] == ["sig"], v
assert v["jobs"][0]["group"] == "sig" and v["jobs"][0]["process"] == "sig", v
' "$W/out" || fail "status --json nosuch: $(cat "$W/out")"

say "pid: the daemon's, a job's, 0 and 7 for one not running"
[ "$(ctl pid)" = "$DAEMON" ] || fail "pid: $(ctl pid)"
[ "$(ctl pid sig)" = "$(field sig pid)" ] || fail "pid sig: $(ctl pid sig)"
rc=0; out=$(ctl pid idle) || rc=$?
[ "$out" = 0 ] && [ "$rc" -eq 7 ] || fail "pid idle: '$out', exit $rc"
[ "$(ctl pid all | wc -l)" -eq 6 ] || fail "pid all: $(ctl pid all)"
rc=0; ctl pid nosuch 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "pid nosuch: exit $rc"

say "signal: the command alone; --tree: every process of the tree"
wait_for "sig's child" test -s "$W/child"
child=$(cat "$W/child")
ctl signal USR1 sig >"$W/out"
[ "$(cat "$W/out")" = "sig: sent USR1 to the command" ] || fail "signal: $(cat "$W/out")"
wait_for "the USR1 trap" grep -qx usr1 "$W/usr1"
kill -0 "$child" || fail "the command's child got USR1 too"
state_is sig RUNNING || fail "sig: $(field sig last_exit)"
[ "$(field sig members)" = "$(field sig pid) $child" ] || fail "members: $(field sig members)"
rc=0; ctl signal USR1 idle 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "idle: not running" "$W/err" || fail "signal to a stopped job: exit $rc"
ctl signal --tree USR1 sig >"$W/out"
[ "$(cat "$W/out")" = "sig: sent USR1 to the whole tree" ] || fail "signal --tree: $(cat "$W/out")"
wait_state sig EXITED
[ "$(field sig last_exit)" = "exited 3" ] || fail "sig: $(field sig last_exit)"
absent TREE=sig

say "ctl -c reads only the socket: a broken job and an unset variable do not matter"
ctl start sig >/dev/null
cp "$W/ctl.conf" "$W/good.conf"
cat >>"$W/ctl.conf" <<EOF2

[program:broken]
command = sleep 1000
startsecs = soon
directory = %(ENV_PGSUP_TEST_UNSET)s
EOF2
"$PGSUP" ctl -c "$W/ctl.conf" status sig >/dev/null || fail "ctl -c status with a broken job section"
[ "$("$PGSUP" ctl -c "$W/ctl.conf" stop sig)" = "sig: stopped" ] || fail "ctl -c stop"
for how in "-c $W/ctl.conf" "-s $SOCK"; do
    rc=0
    # shellcheck disable=SC2086 # two words
    "$PGSUP" ctl $how reload 2>"$W/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "reload of a bad file (ctl $how): exit $rc"
    grep -q "ctl.conf:[0-9]*: \[program:broken\] " "$W/err" || fail "reload: $(cat "$W/err")"
done
# socket= itself unreadable: reload (and the requests that read the file) exit 1, status 4,
# the others 125, as when the daemon cannot be reached
printf '[pgsup]\nsocket = %%(ENV_PGSUP_TEST_UNSET)s\n' >"$W/nosock.conf"
for req in reload:1 update:1 status:4 stop:125; do
    rc=0; "$PGSUP" ctl -c "$W/nosock.conf" "${req%:*}" x 2>"$W/err" || rc=$?
    [ "$rc" -eq "${req#*:}" ] || fail "ctl -c (no socket) ${req%:*}: exit $rc: $(cat "$W/err")"
done
cp "$W/good.conf" "$W/ctl.conf"
stop_daemon
absent TREE=sig

say "daemon --check: a good file (exit 0, its jobs), a missing log directory (exit 1), nothing started"
rc=0; "$PGSUP" daemon --check -c "$W/ctl.conf" >"$W/out" 2>"$W/err" || rc=$?
[ "$rc" -eq 0 ] || fail "--check of a good file: exit $rc: $(cat "$W/err")"
head -1 "$W/out" | grep -qx "$W/ctl.conf: ok, 6 jobs in 6 groups" || fail "--check: $(head -1 "$W/out")"
grep -q '^idle  *manual  *999:999$' "$W/out" || fail "--check: $(cat "$W/out")"
[ ! -e "$SOCK" ] || fail "--check made a socket"
cat >>"$W/ctl.conf" <<EOF2

[program:logged]
command = sleep 1000
environment = TREE=logged
stdout_logfile = $W/no/such/dir/out.log
EOF2
line=$(grep -n '^stdout_logfile = ' "$W/ctl.conf" | cut -d: -f1)
want="$W/ctl.conf:$line: \[program:logged\] stdout_logfile: the directory '$W/no/such/dir' does not exist"
rc=0; "$PGSUP" daemon --check -c "$W/ctl.conf" >/dev/null 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "$want" "$W/err" || fail "--check: exit $rc: $(cat "$W/err")"
refused "$W/ctl.conf" "$want"
absent TREE=logged

if need_root "reload of a bad file through ctl's default socket"; then
    say "reload of a bad file through the default socket (a user's /tmp/pgsup-UID): exit 1"
    new_user U
    priv=/tmp/pgsup-$(id -u "$U")
    at_exit "rm -rf '$priv'"
    chmod 0711 "$W"
    install -d -o "$U" -m 0700 "$W/u"
    printf '[program:x]\ncommand = sleep 1000\nenvironment = TREE=ctl-u\nstartsecs = 0\n' >"$W/u/u.conf"
    chown "$U" "$W/u/u.conf"
    as_exec "$U" "$PGSUP" daemon -c "$W/u/u.conf" >>"$DAEMON_LOG" 2>&1 &
    DAEMON=$!
    wait_for "U's daemon" as "$U" "$PGSUP" ctl pid
    printf 'startsecs = soon\n' >>"$W/u/u.conf"
    rc=0; as "$U" "$PGSUP" ctl reload 2>"$W/err" || rc=$?
    [ "$rc" -eq 1 ] && grep -q "u.conf:5: \[program:x\] startsecs: " "$W/err" ||
        fail "default socket, reload of a bad file: exit $rc: $(cat "$W/err")"
    stop_daemon
    absent TREE=ctl-u
fi
