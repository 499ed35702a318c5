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

USERS=()      # throwaway users of this test (new_user), removed at exit
AT_EXIT=()    # commands run at exit, before the users are removed (at_exit)

# at_exit CMD...: runs CMD (one string, eval'd) when the test ends, however it ends.
at_exit() { AT_EXIT+=("$1"); }

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
    for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${AT_EXIT[$i]}" || true
    done
    for u in "${USERS[@]}"; do
        # -f: a process of the user may still be on its way out (its tree dies with the
        # daemon); the name is ours alone, made by new_user.
        userdel -f "$u" 2>/dev/null || echo "test: cannot remove user $u" >&2
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

# daemon_up: the daemon answers (ctl pid prints its pid; ctl status would exit 3 while a job
# is not running, as supervisorctl's does).
daemon_up() { [ -S "$SOCK" ] && ctl pid; }

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
# ctl status exits 3 when the job is not running (supervisorctl's LSB status): an answer too.
field() {
    local json rc=0
    json=$(ctl status --json "$1") || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || return "$rc"
    "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)["jobs"][0][sys.argv[1]]
print("" if v is None else (" ".join(map(str, v)) if isinstance(v, list) else v))' "$2" \
        <<<"$json"
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

# new_user VAR: makes a throwaway user (useradd, with a group of its own, no home), removed
# when the test ends, and sets VAR to its name. Other tests may run useradd at the same time:
# a locked /etc/passwd is retried.
new_user() {
    local name="pgsupt-$$-${#USERS[@]}" i
    for i in $(seq 200); do
        if useradd --system --no-create-home --user-group --shell /usr/sbin/nologin \
            "$name" 2>"$W/useradd.err"; then
            USERS+=("$name")
            printf -v "$1" '%s' "$name"
            return 0
        fi
        grep -qi 'lock' "$W/useradd.err" || fail "useradd $name: $(cat "$W/useradd.err")"
        sleep 0.1
    done
    fail "useradd $name: /etc/passwd stayed locked"
}

# as USER CMD...: runs CMD as USER (its uid, its group, no other group), without
# XDG_RUNTIME_DIR, so that the daemon and ctl use their own default paths.
as() {
    local u=$1
    shift
    setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups \
        env -u XDG_RUNTIME_DIR "$@"
}

# as_exec USER CMD... &: the same in the background; the subshell becomes CMD, so that $! is
# CMD's own pid.
as_exec() {
    local u=$1
    shift
    exec setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups \
        env -u XDG_RUNTIME_DIR "$@"
}

# need_root WHAT: true as root (with setpriv and useradd); else says what is skipped.
need_root() {
    if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && command -v useradd >/dev/null
    then
        return 0
    fi
    say "skipped: $1 (needs root, setpriv and useradd)"
    return 1
}

CLIENT=$(dirname "${BASH_SOURCE[0]}")/client.py

# client ARGS...: tests/daemon/client.py, a misbehaving client or a fake server. In the
# background, run "$PYTHON" "$CLIENT" directly, so that $! is its pid.
client() { "$PYTHON" "$CLIENT" "$@"; }

# refused [as USER] CONF PATTERN: the daemon must refuse to start with CONF: exit 125 (within
# the test's limit: one that starts is stopped by timeout) and a line on stderr matching
# PATTERN (grep). The line is left in $W/err.
refused() {
    local rc=0 prefix=()
    if [ "$1" = as ]; then
        prefix=(as "$2")
        shift 2
    fi
    "${prefix[@]}" timeout -k 5 "$LIMIT" "$PGSUP" daemon -c "$1" 2>"$W/err" || rc=$?
    [ "$rc" -eq 125 ] || fail "daemon -c $1: exit $rc, expected 125: $(cat "$W/err")"
    grep -q -- "$2" "$W/err" || fail "daemon -c $1: $(cat "$W/err")"
}
