#!/usr/bin/env bash
# compat/supervisord.sh: the same small config file run under supervisord (Debian's supervisor
# package, 4.2) and then under pgsup daemon, side by side: the job names ctl shows, the states
# once started, the exit statuses of status and pid for the same names, the variables a job
# gets (SUPERVISOR_*), and what `signal HUP` reaches (the command, not its child). Skipped,
# with the reason, where supervisor is not installed.
. "$(dirname "$0")/../lib.sh"

SUPERVISORD=$(command -v supervisord || true)
SUPERVISORCTL=$(command -v supervisorctl || true)
if [ -z "$SUPERVISORD" ] || [ -z "$SUPERVISORCTL" ]; then
    say "skipped: supervisord is not installed (Debian's supervisor package; scripts/install-deps installs it)"
    exit 0
fi

# One file for both: supervisord reads its sections and skips [pgsup]; pgsup reads [pgsup] and
# the programs, and skips supervisord's own sections (with warnings). %(ENV_OUT)s is where
# each run's jobs write.
cat >"$W/side.conf" <<EOF2
[unix_http_server]
file = $W/supervisor.sock

[supervisord]
logfile = $W/supervisord.log
logfile_maxbytes = 0
pidfile = $W/supervisord.pid
childlogdir = $W
environment = SIDE="both"

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://$W/supervisor.sock

[pgsup]
socket = $SOCK
state = $W/pgsup.state

[program:web]
command = bash -c 'trap "echo hup >>%(ENV_OUT)s/web.hup" HUP; sleep 1000 & echo \$! >%(ENV_OUT)s/web.child; while :; do wait; done'
stopasgroup = true
killasgroup = true
startsecs = 0

[program:worker]
command = sh -c 'env | grep -E "^(SUPERVISOR_(ENABLED|PROCESS_NAME|GROUP_NAME)|SIDE)=" | sort >%(ENV_OUT)s/%(process_num)s.env; exec sleep 1000'
process_name = %(program_name)s_%(process_num)s
numprocs = 2
stopasgroup = true
startsecs = 0

[group:g]
programs = a, b

[program:a]
command = sh -c 'env | grep -E "^SUPERVISOR_(ENABLED|PROCESS_NAME|GROUP_NAME)=" | sort >%(ENV_OUT)s/a.env; exec sleep 1000'
stopasgroup = true
startsecs = 0

[program:b]
command = sleep 1000
stopasgroup = true
startsecs = 0

[program:manual]
command = sleep 1000
autostart = false

[program:fail]
command = sh -c 'exit 1'
startretries = 0

[program:once]
command = true
autorestart = false
startsecs = 0
EOF2

# supervisord puts itself in the background (so that the test's cleanup, which SIGKILLs its
# own jobs, does not orphan supervisord's children: supervisord stops its programs itself, and
# only on SIGTERM). Its pid is in its pidfile; it is this test's child then (daemontest is the
# subreaper).
SV=
sv_gone() { [ ! -e "/proc/$SV" ] || [ "$(cut -d' ' -f3 "/proc/$SV/stat")" = Z ]; }
sv_stop() {
    [ -n "$SV" ] || return 0
    kill -TERM "$SV" 2>/dev/null || true
    wait_for "supervisord to stop" sv_gone
    SV=
}
at_exit sv_stop

# start_impl IMPL: start it on the file, with its jobs writing into $W/IMPL.
start_impl() {
    export OUT=$W/$1
    mkdir -p "$OUT"
    if [ "$1" = supervisord ]; then
        "$SUPERVISORD" -c "$W/side.conf" >>"$DAEMON_LOG" 2>&1 || fail "supervisord: exit $?"
        wait_for "supervisord's pidfile" test -s "$W/supervisord.pid"
        SV=$(cat "$W/supervisord.pid")
        grep -q supervisord "/proc/$SV/cmdline" || fail "pid $SV is not supervisord"
        wait_for "supervisord" "$SUPERVISORCTL" -c "$W/side.conf" pid
    else
        start_daemon side
    fi
}

# sctl IMPL ARGS...: that implementation's ctl.
sctl() {
    local impl=$1
    shift
    if [ "$impl" = supervisord ]; then
        "$SUPERVISORCTL" -c "$W/side.conf" "$@"
    else
        "$PGSUP" ctl -c "$W/side.conf" "$@"
    fi
}

# settled IMPL: no job is starting or backing off (fail has gone FATAL).
settled() {
    { sctl "$1" status 2>/dev/null || true; } | awk '{print $2}' >"$W/states"
    [ -s "$W/states" ] && ! grep -qE 'STARTING|BACKOFF' "$W/states"
}

# observe IMPL: what this test compares, into $W/IMPL.seen.
observe() {
    local impl=$1 rc
    wait_for "$impl's jobs to settle" settled "$impl"
    {
        echo "== names and states"
        { sctl "$impl" status 2>/dev/null || true; } | awk '$1 != "NAME" {print $1, $2}' | sort
        echo "== exit statuses of status"
        for names in "" web manual nosuch "web nosuch" "manual nosuch" "worker:*" g:a "g:*" \
            fail once; do
            rc=0
            # shellcheck disable=SC2086 # the names are words
            sctl "$impl" status $names >/dev/null 2>&1 || rc=$?
            echo "status $names: $rc"
        done
        echo "== exit statuses of pid"
        for names in web manual; do
            rc=0
            sctl "$impl" pid "$names" >/dev/null 2>&1 || rc=$?
            echo "pid $names: $rc"
        done
        echo "== what a job gets"
        cat "$OUT/1.env" "$OUT/a.env"
        echo "== signal HUP web: the command, not its child"
        child=$(cat "$OUT/web.child")
        sctl "$impl" signal HUP web >/dev/null 2>&1 || echo "signal: failed"
        wait_for "$impl: web's HUP trap" test -s "$OUT/web.hup"
        echo "trap: $(cat "$OUT/web.hup")"
        if kill -0 "$child" 2>/dev/null; then echo "child: alive"; else echo "child: gone"; fi
        echo "web: $({ sctl "$impl" status web 2>/dev/null || true; } | awk '$1 != "NAME" {print $2}')"
    } >"$W/$impl.seen"
}

say "supervisord"
start_impl supervisord
observe supervisord
sv_stop

say "pgsup"
start_impl pgsup
observe pgsup
stop_daemon

say "side by side"
paste -d'|' "$W/supervisord.seen" "$W/pgsup.seen" | awk -F'|' '{printf "  %-44s %s\n", $1, $2}' >&2
diff -u "$W/supervisord.seen" "$W/pgsup.seen" || fail "pgsup differs from supervisord"
