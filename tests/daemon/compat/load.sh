#!/usr/bin/env bash
# compat/load.sh: supervisord config files in the shapes found in the wild (conf/: Laravel's
# queue workers with numprocs, Debian's layout with conf.d includes, Celery's worker and beat
# in a group, a container's web server with workers) load under `pgsup daemon --check` with no
# error, and make exactly the jobs that conf/NAME.jobs lists, in that start order. Where
# Debian's supervisor package is installed, its own parser (supervisor.options, the code of
# supervisord 4.2) reads each file too and must name the same processes: pgsup calls a job what
# supervisorctl calls the process.
. "$(dirname "$0")/../lib.sh"

CONF=$(cd "$(dirname "$0")/conf" && pwd)
# What the files take from the environment, as real ones do: the application's directory,
# the log directory, the number of workers.
export APP=$W/app LOGDIR=$W/log WORKERS=4
mkdir -p "$APP" "$LOGDIR/celery"

SUPERVISOR_PY=
if "$PYTHON" -c 'import supervisor.options' 2>/dev/null; then
    SUPERVISOR_PY=$PYTHON
else
    say "supervisor (Debian's package) is not installed: the names are checked against conf/*.jobs only"
fi

# supervisord's names for the processes of FILE, sorted (a file without [supervisord], a
# conf.d snippet, is read through an [include], as supervisord would read it).
supervisord_names() {
    local main=$1
    if ! grep -q '^\[supervisord\]' "$main"; then
        main=$W/wrap.conf
        printf '[supervisord]\nlogfile = %s/supervisord.log\n[include]\nfiles = %s\n' \
            "$W" "$1" >"$main"
    fi
    "$SUPERVISOR_PY" - "$main" <<'PY'
import os, sys
from supervisor.options import ServerOptions, make_namespec
o = ServerOptions()
o.configfile = sys.argv[1]
o.here = os.path.dirname(os.path.abspath(sys.argv[1]))
section = o.read_config(sys.argv[1])
for g in section.process_group_configs:
    for p in g.process_configs:
        print(make_namespec(g.name, p.name))
PY
}

n=0
for jobs in "$CONF"/*.jobs; do
    name=$(basename "$jobs" .jobs)
    file=$CONF/$name.conf
    [ -f "$file" ] || file=$CONF/$name/supervisord.conf
    rc=0
    "$PGSUP" daemon --check -c "$file" >"$W/out" 2>"$W/err" || rc=$?
    [ "$rc" -eq 0 ] || fail "$name: daemon --check exited $rc: $(cat "$W/err")"
    ! grep -i 'error' "$W/err" || fail "$name: an error line"
    head -1 "$W/out" | grep -q "^$file: ok, " || fail "$name: $(head -1 "$W/out")"
    tail -n +2 "$W/out" | awk '{print $1}' >"$W/names"
    diff -u "$jobs" "$W/names" || fail "$name: not the jobs of $jobs"
    if [ -n "$SUPERVISOR_PY" ]; then
        supervisord_names "$file" | sort >"$W/sv-names" || fail "$name: supervisord's parser failed"
        sort "$W/names" | diff -u "$W/sv-names" - || fail "$name: supervisord names them otherwise"
    fi
    say "$name: $(head -1 "$W/out" | sed 's/.*: ok, //'), as supervisord${SUPERVISOR_PY:+ names them}"
    n=$((n + 1))
done
[ "$n" -ge 4 ] || fail "only $n config files"
