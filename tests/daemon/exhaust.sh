#!/usr/bin/env bash
# Exhausted machines and misbehaving clients: the control socket keeps answering when the
# daemon is out of file descriptors (no spinning, one line in its log), when clients hold
# idle connections (of its own user or of another), and when a request is too long or never
# ends; a job's log on a full disk records what was lost on a line of its own, and loses and
# glues nothing else. Waits have limits; no duration is asserted.
. "$(dirname "$0")/lib.sh"

conf exhaust <<EOF
[program:x]
command = sleep 1000
environment = TREE=exhaust-x
startsecs = 0
EOF
start_daemon exhaust
wait_state x RUNNING

# ctl_answers: ctl status must end (not hang) and say something; prints its exit status.
ctl_bounded() {
    local rc=0
    timeout "$LIMIT" "$PGSUP" ctl -s "$SOCK" "$@" >"$W/out" 2>"$W/err" || rc=$?
    [ "$rc" -ne 124 ] || fail "ctl $* hangs (still waiting after ${LIMIT}s)"
    echo "$rc"
}

say "idle connections of the daemon's own user: ctl status still works"
"$PYTHON" "$CLIENT" hold "$SOCK" 300 "$W/hold.ready" &
hog=$!
wait_for "300 connections" test -e "$W/hold.ready"
rc=$(ctl_bounded status x)
[ "$rc" -eq 0 ] || fail "status with 300 idle connections: exit $rc: $(cat "$W/err")"
grep -q '^x  *RUNNING' "$W/out" || fail "status: $(cat "$W/out")"
kill -KILL "$hog"
wait "$hog" 2>/dev/null || true

if need_root "idle connections of another user"; then
    say "idle connections of another user (refused, but held open): ctl status still works"
    new_user B
    chmod 0711 "$W"
    chmod 0666 "$SOCK" # let B connect: the daemon refuses B's requests, B holds the slots
    install -d -o "$B" -m 0700 "$W/b"
    as_exec "$B" "$PYTHON" "$CLIENT" hold "$SOCK" 300 "$W/b/ready" &
    hog=$!
    wait_for "B's connections" test -e "$W/b/ready"
    rc=$(ctl_bounded status x)
    [ "$rc" -eq 0 ] || fail "status with B's 300 idle connections: exit $rc: $(cat "$W/err")"
    kill -KILL "$hog"
    wait "$hog" 2>/dev/null || true
    chmod 0600 "$SOCK"
fi

say "a request longer than 64 KiB: one error line, not a reset"
rc=$(ctl_bounded status $(seq -f 'name%05g' 1 8000))
[ "$rc" -eq 1 ] || fail "an oversized request: exit $rc: $(cat "$W/err")"
grep -qx "pgsup: request longer than 65536 bytes" "$W/err" || fail "$(cat "$W/err")"
reply=$(client raw "$SOCK" 1048576)
[ "$reply" = "error: request longer than 65536 bytes" ] || fail "1 MiB without a newline: '$reply'"

say "a connection that sends nothing: closed with an error line after the deadline"
reply=$(client idle "$SOCK")
[ "$reply" = "error: no complete request within 10 s" ] || fail "an idle connection: '$reply'"

say "out of file descriptors: each client is told so, the loop does not spin, one log line"
# The daemon's own limit is lowered until exactly two descriptor numbers below it are free
# (descriptors above a limit stay open; only new ones must be below it), then two idle
# connections take them: the next accept() fails with EMFILE.
# The connections of the clients above are gone first (the daemon frees them as it reads
# their end of file): its sockets are the listener and the job's supervisor's.
sockets() { find "/proc/$DAEMON/fd" -lname 'socket:*' | wc -l; }
sockets_le() { [ "$(sockets)" -le "$1" ]; }
wait_for "the daemon to close the earlier connections" sockets_le 2
# Only the soft limit moves: raising a hard limit back needs CAP_SYS_RESOURCE.
old_soft=$(prlimit --pid "$DAEMON" --nofile --output SOFT --noheadings | tr -d ' ')
limit=$("$PYTHON" - "$DAEMON" <<'PY'
import os, sys
used = set(int(fd) for fd in os.listdir(f"/proc/{sys.argv[1]}/fd"))
limit = 0
while limit - sum(1 for fd in used if fd < limit) < 2:
    limit += 1
print(limit)
PY
)
prlimit --pid "$DAEMON" --nofile="$limit:"
"$PYTHON" "$CLIENT" hold "$SOCK" 2 "$W/hold2.ready" &
hog=$!
wait_for "2 connections" test -e "$W/hold2.ready"
for i in 1 2 3; do
    rc=$(ctl_bounded status)
    [ "$rc" -eq 1 ] || fail "out of fds: exit $rc: $(cat "$W/out") $(cat "$W/err")"
    grep -q "the daemon is out of file descriptors" "$W/err" || fail "$(cat "$W/err")"
done
# Still out of descriptors, with nobody waiting: the daemon sleeps in its event loop (a
# spinning one is never seen sleeping).
sleeping() { [ "$(cut -d' ' -f3 "/proc/$DAEMON/stat")" = S ]; }
wait_for "the daemon to wait for events instead of spinning on its listener" sleeping
said=$(grep -c 'out of file descriptors: answering control connections' "$DAEMON_LOG" || true)
[ "$said" -eq 1 ] || fail "the shortage is logged $said times, not once"
kill -KILL "$hog"
wait "$hog" 2>/dev/null || true
prlimit --pid "$DAEMON" --nofile="$old_soft:"
wait_for "ctl to work again" ctl status x

if need_root "a job's log on a full disk (mounts a small tmpfs)"; then
    say "a job's log on a full disk: the loss is marked on a line of its own"
    mkdir "$W/full"
    mount -t tmpfs -o size=64k,mode=0755 pgsup-test "$W/full"
    at_exit "umount '$W/full'"
    # One write per phase (each below PIPE_BUF, so the daemon reads each whole), when the test
    # says so. Phase 2 does not fit in what is left of the log's last page once the disk is
    # full: part of it is written, the rest is lost, a line is cut.
    cat >"$W/writer.py" <<'PY'
import os, sys, time
w = sys.argv[1]
def phase(n, tag, lines):
    os.write(1, "".join("%s %03d %s\n" % (tag, i, "y" * 80) for i in range(1, lines + 1)).encode())
def wait(name):
    while not os.path.exists(os.path.join(w, name)):
        time.sleep(0.02)
phase(1, "one", 10)
wait("go2")
phase(2, "two", 40)
wait("go3")
phase(3, "three", 10)
time.sleep(1000)
PY
    conf full <<EOF
[program:w]
command = $PYTHON $W/writer.py $W
environment = TREE=exhaust-w
stdout_logfile = $W/full/out.log
stdout_logfile_maxbytes = 0
startsecs = 0
EOF
    ctl stop x >/dev/null
    stop_daemon
    start_daemon full
    wait_for "phase 1 in the log" grep -q '^one 010 ' "$W/full/out.log"
    # Fill the disk: every free block goes to the filler.
    dd if=/dev/zero of="$W/full/filler" bs=4096 2>/dev/null || true
    touch "$W/go2"
    wait_for "the daemon to report the full disk" \
        grep -q "cannot write log '$W/full/out.log': No space left on device" "$DAEMON_LOG"
    rm "$W/full/filler"
    touch "$W/go3"
    wait_for "phase 3 in the log" grep -q '^three 010 ' "$W/full/out.log"
    "$PYTHON" - "$W/full/out.log" <<'PY' || fail "the log of the full disk (above)"
import re, sys
def phase(tag, lines):
    return "".join("%s %03d %s\n" % (tag, i, "y" * 80) for i in range(1, lines + 1))
one, two, three = phase("one", 10), phase("two", 40), phase("three", 10)
log = open(sys.argv[1]).read()
m = re.search(r"\[pgsup: (\d+) bytes lost: No space left on device\]\n", log)
if not m:
    sys.exit("no marker in the log:\n" + log[-2000:])
# What reached the disk of phase 2 is what the marker says was not lost; the marker starts a
# line of its own; phase 3 follows whole.
kept = two[: len(two) - int(m.group(1))]
newline = "" if kept == "" or kept.endswith("\n") else "\n"
want = one + kept + newline + m.group(0) + three
print("phase 2: %d bytes written, %s lost" % (len(kept), m.group(1)))
if log != want:
    sys.exit("the log is not phase 1, part of phase 2, the marker, phase 3:\n" + log)
PY
    stop_daemon
    absent TREE=exhaust-w
else
    stop_daemon
fi
absent TREE=exhaust-x
