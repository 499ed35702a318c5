#!/usr/bin/env bash
# Hostile neighbours: another local user pre-creates, symlinks, squats or forges the daemon's
# files and socket. The daemon of a user without XDG_RUNTIME_DIR keeps its files in a private
# /tmp/pgsup-UID (0700, checked like tmux and ssh-agent), refuses a directory someone else
# controls, never follows a symlink or blocks on a FIFO at its paths, kills only processes that
# carry its marker whatever the state file says, and ctl believes only a daemon of root or of
# its own user. Users are made with useradd and removed at the end; without root the parts that
# need them are skipped with the reason.
. "$(dirname "$0")/lib.sh"

conf base <<EOF
[program:x]
command = sleep 1000
environment = TREE=hostile-x
startsecs = 0
EOF

say "forged records in the state file: a process without the marker is never killed"
sleep 1000 &
victim=$!
# A record naming the victim exactly (pid, start time, group), under the key this daemon
# uses: only the marker check keeps the victim alive.
start=$(cut -d' ' -f22 "/proc/$victim/stat")
pgid=$(cut -d' ' -f5 "/proc/$victim/stat")
"$PGSUP" daemon -c "$W/base.conf" >>"$DAEMON_LOG" 2>&1 &
DAEMON=$!
wait_for "the daemon's socket" daemon_up
key=$(awk '$1 == "key" {print $2}' "$W/state")
stop_daemon
printf 'pgsup-state 1\nkey %s\ninstance old\ndaemon 1 1\nrun x old.1 %d:%s %d:%s %d:%s %d\n' \
    "$key" "$victim" "$start" "$victim" "$start" "$victim" "$start" "$pgid" >"$W/state"
chmod 0600 "$W/state"
start_daemon base
kill -0 "$victim" 2>/dev/null || fail "the daemon killed a process that only a forged record named"
grep -q "recovery: killed process $victim" "$DAEMON_LOG" && fail "recovery claims the victim"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
stop_daemon

say "a FIFO at the state path: the daemon starts (it used to hang before listening)"
rm -f "$W/state"
mkfifo -m 0600 "$W/state"
start_daemon base
grep -q "not reading the state file '$W/state': it is a FIFO" "$DAEMON_LOG" ||
    fail "no word about the FIFO"
stop_daemon

say "a symlink at the state path and at state.tmp: neither is followed"
echo precious >"$W/victim"
ln -sf "$W/victim" "$W/state"
ln -sf "$W/victim" "$W/state.tmp"
start_daemon base
grep -q "not reading the state file '$W/state': it is a symbolic link" "$DAEMON_LOG" ||
    fail "no word about the symlink"
[ "$(cat "$W/victim")" = precious ] || fail "the state was written through a symlink"
[ ! -L "$W/state" ] || fail "the state file is still the symlink"
stop_daemon
[ "$(cat "$W/victim")" = precious ] || fail "the state was written through a symlink"

say "a symlink at the lock path: refused"
ln -sf "$W/victim" "$W/state.lock"
refused "$W/base.conf" "cannot lock '$W/state.lock': it is a symbolic link"
rm -f "$W/state.lock"

say "a socket or state path in a directory others can write: refused"
mkdir -m 1777 "$W/pub"
printf '[pgsup]\nsocket = %s/pub/sock\nstate = %s/state\n[program:x]\ncommand = true\n' \
    "$W" "$W" >"$W/pub.conf"
refused "$W/pub.conf" "cannot keep the control socket '$W/pub/sock' there: \
the directory '$W/pub' is writable by other users"
[ ! -e "$W/pub/sock" ] || fail "a socket was made there"

if need_root "the private runtime directory, other users' files, a squatted socket"; then
    new_user A
    new_user B
    uid_a=$(id -u "$A")
    priv=/tmp/pgsup-$uid_a
    at_exit "rm -rf '$priv'"
    chmod 0711 "$W"
    install -d -o "$A" -g "$A" -m 0700 "$W/a"
    # No [pgsup] section: the default paths.
    printf '[program:x]\ncommand = sleep 1000\nenvironment = TREE=hostile-a\nstartsecs = 0\n' \
        >"$W/a/a.conf"
    chown "$A" "$W/a/a.conf"

    say "a user's daemon without XDG_RUNTIME_DIR: /tmp/pgsup-UID, 0700, never /tmp itself"
    rm -rf "$priv"
    as_exec "$A" "$PGSUP" daemon -c "$W/a/a.conf" >>"$DAEMON_LOG" 2>&1 &
    DAEMON=$!
    wait_for "A's daemon" as "$A" "$PGSUP" ctl pid
    [ "$(stat -c '%F %U %a' "$priv")" = "directory $A 700" ] ||
        fail "the runtime directory is $(stat -c '%F %U %a' "$priv")"
    [ -S "$priv/pgsup.sock" ] || fail "no socket in $priv"
    [ -f "$priv/pgsup.sock.state" ] || fail "no state file in $priv"
    [ ! -e "/tmp/pgsup-$uid_a.sock" ] && [ ! -e "/tmp/pgsup-$uid_a.sock.state" ] ||
        fail "files straight in /tmp"
    wait_state_as() { [ "$(as "$A" "$PGSUP" ctl status x | awk 'NR == 2 {print $2}')" = "$1" ]; }
    wait_for "A's job" wait_state_as RUNNING
    stop_daemon
    absent TREE=hostile-a

    say "the runtime directory made by another user: refused by the daemon and by ctl"
    rm -rf "$priv"
    install -d -o "$B" -g "$B" -m 0777 "$priv"
    # What B would like A's daemon to read: a record of A's shell.
    printf 'pgsup-state 1\nkey x\nrun x r %d:1 0:0 0:0 0\n' "$$" >"$priv/pgsup.sock.state"
    refused as "$A" "$W/a/a.conf" \
        "the directory '$priv' is owned by uid $(id -u "$B"), not by uid $uid_a"
    rc=0
    as "$A" "$PGSUP" ctl stop x 2>"$W/err" || rc=$?
    [ "$rc" -eq 125 ] || fail "B's directory: ctl exited $rc"
    grep -q "is owned by uid $(id -u "$B")" "$W/err" || fail "$(cat "$W/err")"

    say "the runtime directory as a symlink to a directory of A's: refused"
    rm -rf "$priv"
    ln -s "$W/a" "$priv"
    refused as "$A" "$W/a/a.conf" "the directory '$priv' is a symbolic link, not a directory"
    rm -f "$priv"

    say "the runtime directory open to others: refused"
    install -d -o "$A" -g "$A" -m 0755 "$priv"
    refused as "$A" "$W/a/a.conf" "is open to group or others (mode 0755, expected 0700)"
    rm -rf "$priv"

    say "a state file of another user: its records are not read"
    printf 'pgsup-state 1\nkey x\n' >"$W/state"
    chown "$B" "$W/state"
    start_daemon base
    grep -q "not reading the state file '$W/state': it is owned by uid $(id -u "$B")" \
        "$DAEMON_LOG" || fail "no word about the owner"
    stop_daemon

    say "a squatted socket: ctl does not believe a server of another user"
    install -d -o "$B" -g "$B" -m 0755 "$W/b"
    as_exec "$B" "$PYTHON" "$CLIENT" squat "$W/b/sock" "x: stopped" "$W/b/ready" &
    squatter=$!
    wait_for "the squatter" test -e "$W/b/ready"
    rc=0
    "$PGSUP" ctl -s "$W/b/sock" stop x >"$W/out" 2>"$W/err" || rc=$?
    [ "$rc" -eq 125 ] || fail "ctl believed the squatter: exit $rc: $(cat "$W/out")"
    [ ! -s "$W/out" ] || fail "ctl printed the squatter's reply: $(cat "$W/out")"
    grep -q "is served by uid $(id -u "$B") (pid [0-9]*), not by root or uid 0" "$W/err" ||
        fail "$(cat "$W/err")"
    kill -0 "$squatter" || fail "the squatter died"
    kill -KILL "$squatter"
    wait "$squatter" 2>/dev/null || true
fi
