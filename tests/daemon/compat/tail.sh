#!/usr/bin/env bash
# compat/tail.sh: ctl tail [-f] [-BYTES] NAME [stdout|stderr] and ctl clear, for a log file and
# for output that goes to the daemon's own stdout and stderr (which then passes through the
# daemon, which keeps its last 16 KiB per job and stream). The daemon never blocks on its own
# stdout: when nobody reads it, the jobs that write there wait (their pipes are not read) and
# ctl is answered all the same.
. "$(dirname "$0")/../lib.sh"

mkfifo "$W/feed"
conf tail <<EOF2
[program:file]
command = sh -c 'i=0; while [ \$i -lt 200 ]; do echo "file line \$i"; i=\$((i + 1)); done; echo to-stderr >&2; exec sleep 1000'
stdout_logfile = $W/file.log
stderr_logfile = $W/file.err
environment = TREE=file
startsecs = 0

[program:stream]
command = sh -c 'echo stream-out; echo stream-err >&2; exec sleep 1000'
environment = TREE=stream
startsecs = 0

[program:follow]
command = sh -c 'exec 3<>$W/feed; while read -r l <&3; do echo "got \$l"; done'
environment = TREE=follow
startsecs = 0

[program:red]
command = sleep 1000
redirect_stderr = true
environment = TREE=red
startsecs = 0

[program:none]
command = sleep 1000
stdout_logfile = NONE
environment = TREE=none
startsecs = 0

[program:pair]
command = sleep 1000
process_name = pair%(process_num)s
numprocs = 2
environment = TREE=pair
startsecs = 0
EOF2
start_daemon tail
for j in file stream follow; do wait_state "$j" RUNNING; done
wait_for "file's log" grep -q "file line 199" "$W/file.log"
wait_for "file's stderr" test -s "$W/file.err"

say "a log file: the last 1600 bytes, -BYTES, stderr"
ctl tail file >"$W/out"
[ "$(wc -c <"$W/out")" -eq 1600 ] || fail "tail file: $(wc -c <"$W/out") bytes"
tail -c 1600 "$W/file.log" | cmp - "$W/out" || fail "tail file: not the end of the file"
[ "$(ctl tail -14 file)" = "file line 199" ] || fail "tail -14 file: $(ctl tail -14 file)"
[ "$(ctl tail file stderr)" = "to-stderr" ] || fail "tail file stderr: $(ctl tail file stderr)"

say "the daemon's own stdout and stderr: kept in memory, and still in the daemon's output"
wait_for "stream's output" grep -qx stream-err "$DAEMON_LOG"
[ "$(ctl tail stream)" = "stream-out" ] || fail "tail stream: $(ctl tail stream)"
[ "$(ctl tail stream stderr)" = "stream-err" ] || fail "tail stream stderr: $(ctl tail stream stderr)"
grep -qx stream-out "$DAEMON_LOG" || fail "the job's stdout did not reach the daemon's"

say "tail -f follows"
"$PGSUP" ctl -s "$SOCK" tail -f follow >"$W/followed" 2>"$W/follow.err" &
follower=$!
echo one >"$W/feed"
wait_for "the first line" grep -qx "got one" "$W/followed"
echo two >"$W/feed"
wait_for "the second line" grep -qx "got two" "$W/followed"
kill -0 "$follower" || fail "tail -f ended: $(cat "$W/follow.err")"
kill -TERM "$follower"
wait "$follower" || true
[ "$(cat "$W/followed")" = "$(printf 'got one\ngot two')" ] || fail "tail -f: $(cat "$W/followed")"

say "clear empties the log files and what is kept"
[ "$(ctl clear file stream)" = "$(printf 'file: cleared\nstream: cleared')" ] || fail "clear"
[ ! -s "$W/file.log" ] && [ ! -s "$W/file.err" ] || fail "clear left the files"
[ -z "$(ctl tail file)" ] && [ -z "$(ctl tail stream)" ] || fail "tail after clear"

say "what has no tail: errors"
for bad in "red stderr:redirect_stderr" "none:stdout_logfile = NONE" "pair:is 2 jobs" \
    "nosuch:no job 'nosuch'" "file stdin:usage"; do
    rc=0
    # shellcheck disable=SC2086 # NAME and maybe a stream
    ctl tail ${bad%%:*} >/dev/null 2>"$W/err" || rc=$?
    [ "$rc" -eq 1 ] && grep -q -- "${bad#*:}" "$W/err" || fail "tail ${bad%%:*}: exit $rc: $(cat "$W/err")"
done
stop_daemon

say "nobody reads the daemon's stdout: the job waits, ctl is answered"
mkfifo "$W/stdout"
exec 7<>"$W/stdout" # held open, never read: the pipe fills
conf flood <<EOF2
[program:flood]
command = sh -c 'head -c 1048576 /dev/zero | tr "\\\\000" x; echo; echo flood-done; exec sleep 1000'
environment = TREE=flood
startsecs = 0
EOF2
"$PGSUP" daemon -c "$W/flood.conf" >"$W/stdout" 2>>"$DAEMON_LOG" &
DAEMON=$!
wait_for "the daemon's socket" daemon_up
wait_state flood RUNNING
# The pipe to the reader holds 64 KiB, the daemon a chunk more: the job waits for them.
wait_for "the daemon's output to fill" sh -c "[ \$('$PGSUP' ctl -s '$SOCK' tail -1 flood) = x ]"
for i in 1 2 3; do
    timeout "$LIMIT" "$PGSUP" ctl -s "$SOCK" status flood >/dev/null || fail "ctl status did not answer"
done
[ "$("$PGSUP" ctl -s "$SOCK" tail -11 flood)" != flood-done ] || fail "the job did not wait"
cat <&7 >/dev/null &
drain=$!
wait_for "the job to be done" sh -c "[ \"\$('$PGSUP' ctl -s '$SOCK' tail -11 flood)\" = flood-done ]"
stop_daemon
kill -TERM "$drain"
wait "$drain" || true
exec 7>&-
for t in file stream follow red none pair flood; do absent "TREE=$t"; done
