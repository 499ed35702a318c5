#!/usr/bin/env bash
# The daemon's edges: a bad config at start (one line naming file, line and key; nothing
# runs), a second daemon on the same state file (refused), sd_notify READY=1 / STOPPING=1,
# status as JSON, a per-run timeout= (the whole tree, escapees included), and a ctl from
# another user (refused by the peer credentials check, even with the socket opened up).
. "$(dirname "$0")/lib.sh"

say "bad config at start"
conf bad <<EOF2
[program:x]
command = sleep 1000
environment = TREE=bad
startsecs = soon
EOF2
rc=0
"$PGSUP" daemon -c "$W/bad.conf" 2>"$W/err" || rc=$?
[ "$rc" -eq 125 ] || fail "a bad config: exit $rc, expected 125"
[ "$(wc -l <"$W/err")" -eq 1 ] || fail "expected one line: $(cat "$W/err")"
grep -q "^pgsup: $W/bad.conf:[0-9]*: \[program:x\] startsecs: " "$W/err" ||
    fail "the error does not name file, line and key: $(cat "$W/err")"
absent TREE=bad
[ ! -e "$SOCK" ] || fail "a refused config left a socket"

say "sd_notify"
mkdir -m 0777 "$W/dir"
user=
[ "$(id -u)" -ne 0 ] || user="user = nobody"
conf misc <<EOF2
[program:env]
command = sh -c 'umask >umask.out; pwd >pwd.out; id -u >uid.out; exec sleep 1000'
directory = $W/dir
umask = 027
$user
environment = TREE=env
startsecs = 0

[program:short]
command = $MKTREE setsid doublefork
environment = TREE=short
timeout = 0.5
autorestart = false
startsecs = 0

[program:long]
command = sleep 1000
environment = TREE=long
startsecs = 0
EOF2
"$PYTHON" - "$W/notify" >"$W/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
for _ in range(2):
    print(s.recv(4096).decode(), flush=True)
PY
LISTENER=$!
wait_for "the notify socket" test -S "$W/notify"
NOTIFY_SOCKET=$W/notify start_daemon misc
wait_for "READY=1" grep -q READY=1 "$W/notified"
# The jobs do not get NOTIFY_SOCKET: only the daemon announces itself.
for pid in $("$DAEMONTEST" pids TREE=long); do
    ! tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^NOTIFY_SOCKET=' ||
        fail "a job inherited NOTIFY_SOCKET"
done

say "directory, umask, user, fds of a job"
wait_state env RUNNING
wait_for "the env job's files" test -s "$W/dir/uid.out"
[ "$(cat "$W/dir/umask.out")" = 0027 ] || fail "umask: $(cat "$W/dir/umask.out")"
[ "$(cat "$W/dir/pwd.out")" = "$W/dir" ] || fail "directory: $(cat "$W/dir/pwd.out")"
if [ -n "$user" ]; then
    [ "$(cat "$W/dir/uid.out")" = 65534 ] || fail "user: uid $(cat "$W/dir/uid.out")"
fi
# exactly stdin, stdout, stderr: nothing of the daemon's leaks into a job
fds=$(ls "/proc/$(field env pid)/fd" | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "the job has fds $fds"
[ "$(readlink "/proc/$(field env pid)/fd/0")" = /dev/null ] || fail "stdin is not /dev/null"
ctl stop env >/dev/null
absent TREE=env

say "a second daemon on the same state file"
rc=0
"$PGSUP" daemon -c "$W/misc.conf" 2>"$W/err" || rc=$?
[ "$rc" -eq 125 ] || fail "a second daemon: exit $rc"
grep -q "another pgsup daemon uses the state file" "$W/err" || fail "second daemon: $(cat "$W/err")"
ctl pid >/dev/null || fail "the second daemon broke the first one's socket"

say "timeout= ends the whole tree of a run"
wait_state short EXITED
[ "$(field short last_exit)" = "timed out after 0.5s" ] || fail "last exit: $(field short last_exit)"
absent TREE=short

say "status --json"
# 3: env and short are not running (supervisorctl's LSB status)
rc=0; ctl status --json >"$W/status.json" || rc=$?
[ "$rc" -eq 3 ] || fail "status --json: exit $rc"
"$PYTHON" -c '
import json, sys
jobs = {j["name"]: j for j in json.load(sys.stdin)["jobs"]}
long = jobs["long"]
assert long["state"] == "RUNNING", long
assert long["pid"] > 0 and long["pgid"] > 0 and long["engine_pid"] == long["pgid"], long
assert long["members"] == [long["pid"]], long
assert long["uptime_s"] >= 0 and long["restarts"] == 0 and long["last_exit"] is None, long
assert jobs["short"]["pid"] is None and jobs["short"]["members"] == [], jobs["short"]
' <"$W/status.json" || fail "status --json"
ctl status long | head -1 | grep -q '^NAME  *STATE  *PID  *PGID  *UPTIME  *RESTARTS  *LAST EXIT  *MEMBERS$' ||
    fail "status header: $(ctl status long | head -1)"

say "ctl usage"
rc=0; ctl frobnicate 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "unknown request: exit $rc"
rc=0; "$PGSUP" ctl -s "$W/nosuch" stop long 2>/dev/null || rc=$?
[ "$rc" -eq 125 ] || fail "no daemon: exit $rc"
# status: supervisorctl's LSB "unknown" when the daemon cannot be asked
rc=0; "$PGSUP" ctl -s "$W/nosuch" status 2>/dev/null || rc=$?
[ "$rc" -eq 4 ] || fail "no daemon, status: exit $rc"
rc=0; ctl signal NOPE long 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "bad signal: exit $rc"
[ "$("$PGSUP" ctl -c "$W/misc.conf" status long | awk 'NR == 2 {print $2}')" = RUNNING ] ||
    fail "ctl -c does not find the socket"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    say "another user"
    [ "$(stat -c %a "$SOCK")" = 600 ] || fail "the socket's mode is $(stat -c %a "$SOCK")"
    chmod 0777 "$W" && chmod 0666 "$SOCK"   # let it connect: the daemon must still refuse
    rc=0
    setpriv --reuid=65534 --regid=65534 --clear-groups "$PGSUP" ctl -s "$SOCK" stop long \
        2>"$W/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "another user: exit $rc"
    grep -q "permission denied" "$W/err" || fail "another user: $(cat "$W/err")"
    state_is long RUNNING || fail "another user stopped a job"
fi

stop_daemon
wait "$LISTENER" || fail "no STOPPING=1"
grep -q STOPPING=1 "$W/notified" || fail "no STOPPING=1: $(cat "$W/notified")"
absent TREE=long
