#!/usr/bin/env bash
# Log files cannot be turned against the daemon, which writes them as root: a log whose
# directory another user can write is refused when the config is loaded (file:line and key),
# unless allow_insecure_logdir says so; even then the log is never opened through a symlink,
# a second hard link or a FIFO. /dev/stdout and /dev/stderr still mean pgsup's own streams.
. "$(dirname "$0")/lib.sh"

say "/dev/stdout and /dev/stderr: the daemon's own streams"
conf std <<EOF
[program:out]
command = sh -c 'echo to-stdout-of-pgsup; echo to-stderr-of-pgsup >&2'
stdout_logfile = /dev/stdout
stderr_logfile = /dev/stderr
environment = TREE=logsec-std
autorestart = false
startsecs = 0
EOF
start_daemon std
wait_state out EXITED
grep -q '^to-stdout-of-pgsup$' "$DAEMON_LOG" || fail "no line on the daemon's stdout"
grep -q '^to-stderr-of-pgsup$' "$DAEMON_LOG" || fail "no line on the daemon's stderr"
stop_daemon

say "a log directory writable by everyone: refused at load, naming file, line and key"
mkdir -m 1777 "$W/pub"
conf pub <<EOF
[program:x]
command = sleep 1000
environment = TREE=logsec-pub
stdout_logfile = $W/pub/x.log
EOF
refused "$W/pub.conf" "^pgsup: $W/pub.conf:8: \[program:x\] stdout_logfile: \
the directory '$W/pub' is writable by other users (mode 1777)"
[ ! -e "$W/pub/x.log" ] || fail "the log was made all the same"

if need_root "a log directory of a job's user"; then
    new_user A
    chmod 0711 "$W"
    install -d -o "$A" -g "$A" -m 0755 "$W/a"
    echo "root's only" >"$W/victim"
    chmod 0600 "$W/victim"
    conf user <<EOF
[program:x]
command = sh -c 'echo written-by-the-job; exec sleep 1000'
user = $A
environment = TREE=logsec-user
stdout_logfile = $W/a/x.log
startsecs = 0
startretries = 0
EOF

    say "a log directory the job's user owns: refused at load"
    refused "$W/user.conf" "^pgsup: $W/user.conf:9: \[program:x\] stdout_logfile: \
the directory '$W/a' is owned by uid $(id -u "$A"), not by root"

    say "allowed with allow_insecure_logdir, but a symlink planted there is not followed"
    echo "allow_insecure_logdir = true" >>"$W/user.conf"
    as "$A" ln -s "$W/victim" "$W/a/x.log"
    start_daemon user
    wait_state x FATAL
    grep -q "cannot open log '$W/a/x.log' of 'x': it is a symbolic link" "$DAEMON_LOG" ||
        fail "no word about the symlink"
    [ "$(cat "$W/victim")" = "root's only" ] || fail "the daemon wrote through the symlink"

    say "nor a second hard link to another file, nor a FIFO"
    as "$A" rm "$W/a/x.log"
    ln "$W/victim" "$W/a/x.log" # as if protected_hardlinks were off
    ctl start x >/dev/null 2>&1 || true
    wait_state x FATAL
    grep -q "cannot open log '$W/a/x.log' of 'x': it has more than one hard link" "$DAEMON_LOG" ||
        fail "no word about the hard link"
    [ "$(cat "$W/victim")" = "root's only" ] || fail "the daemon wrote through the hard link"
    rm "$W/a/x.log"
    as "$A" mkfifo "$W/a/x.log"
    ctl start x >/dev/null 2>&1 || true
    wait_state x FATAL
    grep -q "cannot open log '$W/a/x.log' of 'x': it is a FIFO" "$DAEMON_LOG" ||
        fail "no word about the FIFO"

    say "and a plain file there is written"
    as "$A" rm "$W/a/x.log"
    ctl start x >/dev/null
    wait_for "the job's line" grep -q '^written-by-the-job$' "$W/a/x.log"
    stop_daemon
    absent TREE=logsec-user
fi
