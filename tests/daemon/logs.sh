#!/usr/bin/env bash
# Job output into log files: rotation by size happens (PATH → PATH.1 → ...), lines are never
# split across files, and not one line is lost, on stdout and stderr, across runs.
. "$(dirname "$0")/lib.sh"

LINES=60000
conf logs <<EOF2
[program:talk]
command = sh -c 'seq 1 $LINES; seq 1 $LINES | sed s/^/err/ >&2'
environment = TREE=talk
stdout_logfile = $W/out.log
stdout_logfile_maxbytes = 64KB
stdout_logfile_backups = 100
stderr_logfile = $W/err.log
stderr_logfile_maxbytes = 100KB
stderr_logfile_backups = 100
autorestart = false
startsecs = 0

[program:both]
command = sh -c 'echo one; echo two >&2; echo three'
redirect_stderr = true
stdout_logfile = $W/both.log
autorestart = false
startsecs = 0
EOF2
start_daemon logs
wait_state talk EXITED
wait_state both EXITED
ctl start talk >/dev/null   # a second run appends to the same files
wait_state talk EXITED
stop_daemon                  # every pipe is drained before the daemon exits

# Oldest first: PATH.N ... PATH.1 PATH
joined() {
    local base=$1 n=0
    while [ -f "$base.$((n + 1))" ]; do n=$((n + 1)); done
    [ "$n" -ge 2 ] || fail "$base was not rotated ($n rotated files)"
    for i in $(seq "$n" -1 1); do cat "$base.$i"; done
    cat "$base"
}
{ seq 1 $LINES; seq 1 $LINES; } >"$W/want.out"
{ seq 1 $LINES; seq 1 $LINES; } | sed s/^/err/ >"$W/want.err"
joined "$W/out.log" >"$W/got.out"
joined "$W/err.log" >"$W/got.err"
cmp "$W/want.out" "$W/got.out" || fail "stdout lines were lost or reordered"
cmp "$W/want.err" "$W/got.err" || fail "stderr lines were lost or reordered"
# every rotated file ends with a whole line and stays within its size (+ one line)
for f in "$W"/out.log.* "$W"/err.log.*; do
    [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || fail "$f ends inside a line"
    [ "$(stat -c %s "$f")" -le $((100 * 1024 + 16)) ] || fail "$f is too big"
done
[ "$(stat -c %s "$W/out.log.1")" -le $((64 * 1024)) ] || fail "out.log.1 is over 64KB"
printf 'one\ntwo\nthree\n' | cmp - "$W/both.log" || fail "redirect_stderr: $(cat "$W/both.log")"
absent TREE=talk
