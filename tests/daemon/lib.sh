# lib.sh: what the daemon's integration tests share. Sourced by each test script, which
# daemontest runs (tests/daemon/daemontest.c: a subreaper that checks, after the script, that
# no process of any tree is left). Environment from meson: PGSUP, MKTREE, DAEMONTEST.
#
# Everything waits by polling a condition with a generous limit (a loaded 2-core machine can
# be slow); no test asserts a duration. Processes are only ever signalled by recorded pid.
set -euo pipefail

LIMIT=${PGSUP_TEST_LIMIT:-60}
# Debian's python3 directly: a version manager's shim first in PATH can take a second to start.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pgsup-daemon-test.XXXXXX")
SOCK=$W/sock
DAEMON=
DAEMON_LOG=$W/daemon.log

say() { echo "test: $(date +%T.%N | cut -c1-12) $*" >&2; }

cleanup() {
    local rc=$?
    if [ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null; then
        # The daemon is our child (not reaped yet): its pid is surely it. Its jobs die with
        # it (dead-man guarantee) and daemontest checks that they did.
        kill -KILL "$DAEMON" 2>/dev/null || true
        wait "$DAEMON" 2>/dev/null || true
    fi
    # Other background helpers of the script: our children, so their pids are surely them.
    for pid in $(jobs -p); do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ -f "$DAEMON_LOG" ]; then
        echo "--- daemon log ($DAEMON_LOG) ---" >&2
        tail -n 200 "$DAEMON_LOG" >&2
    fi
    if [ -n "${PGSUP_TEST_KEEP:-}" ]; then
        echo "test: kept $W" >&2
    else
        rm -rf "$W"
    fi
    exit "$rc"
}
trap cleanup EXIT

fail() {
    echo "test: FAIL: $*" >&2
    exit 1
}

ctl() { "$PGSUP" ctl -s "$SOCK" "$@"; }

# Writes $W/$1.conf from stdin, after a [pgsup] section with the test's socket and state.
conf() {
    { printf '[pgsup]\nsocket = %s\nstate = %s/state\n\n' "$SOCK" "$W"; cat; } >"$W/$1.conf"
}

# Polls "$@" until it succeeds; fails the test after $LIMIT seconds.
wait_for() {
    local what=$1 end=$((SECONDS + LIMIT))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $what"
        sleep 0.05
    done
}

daemon_up() { [ -S "$SOCK" ] && ctl status; }

# start_daemon CONF: pgsup daemon in the background, output appended to $DAEMON_LOG.
start_daemon() {
    "$PGSUP" daemon -c "$W/$1.conf" >>"$DAEMON_LOG" 2>&1 &
    DAEMON=$!
    wait_for "the daemon's socket" daemon_up
}

# stop_daemon: SIGTERM, then the daemon must exit 0 with nothing of any job left.
stop_daemon() {
    local rc=0
    kill -TERM "$DAEMON"
    wait "$DAEMON" || rc=$?
    DAEMON=
    [ "$rc" -eq 0 ] || fail "the daemon exited $rc after SIGTERM"
    check_log
}

# kill_daemon: SIGKILL, as a crash.
kill_daemon() {
    kill -KILL "$DAEMON"
    wait "$DAEMON" || true
    DAEMON=
}

check_log() {
    if grep -E 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$DAEMON_LOG"
    then
        fail "a sanitizer reported an error in the daemon (see its log)"
    fi
}

# field NAME KEY: one field of a job from status --json (null: empty).
field() {
    ctl status --json "$1" | "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)["jobs"][0][sys.argv[1]]
print("" if v is None else (" ".join(map(str, v)) if isinstance(v, list) else v))' "$2"
}

state_is() { [ "$(field "$1" state)" = "$2" ]; }

# wait_state NAME STATE
wait_state() { wait_for "'$1' to be $2" state_is "$1" "$2"; }

count() { "$DAEMONTEST" count "$1"; }
count_is() { [ "$(count "$1")" = "$2" ]; }

# absent VAR=VALUE [WITHIN]: no live process has the entry (now, or within seconds).
absent() { "$DAEMONTEST" absent --within "${2:-0}" "$1" || fail "processes with $1 survived"; }

# no_zombies PID: nothing left unreaped under PID (transient ones may take a moment).
no_zombies() { "$DAEMONTEST" zombies --within "$LIMIT" "$1" || fail "zombies left under $1"; }
