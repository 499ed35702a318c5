#!/usr/bin/env bash
# completion.sh: the installed bash completion, run under daemontest (tests/daemon/lib.sh). It
# passes `bash -n`; then, in a fresh bash that sourced it, the completion function (the one
# `complete -p pgsup` names) is called with COMP_WORDS as bash would set them, for the installed
# pgsup: subcommands (pgsup r<TAB> is run), every option of each `--help`, signal names,
# values after an option, the supervised command, ctl's requests, and the job names of a
# running daemon (started from the installed binary), for each way of naming its socket.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../daemon/lib.sh"
. "$here/lib.sh"

install_destdir "$W/dest" || fail "cannot install"
[ -n "$COMPLETION" ] || fail "no bash completion was installed"
PGSUP=$INSTALLED_PGSUP # the daemon of this test (lib.sh) is the installed one too
bash -n "$COMPLETION" || fail "bash -n $COMPLETION"
say "bash -n ${COMPLETION#"$W/dest"}: ok"

# An executable of our own in PATH, to see commands completed.
mkdir "$W/bin"
printf '#!/bin/sh\n' >"$W/bin/pgsup-test-command"
chmod +x "$W/bin/pgsup-test-command"
path=$(dirname "$INSTALLED_PGSUP"):$W/bin:$PATH

# replies WORD...: what completing the last WORD gives, sorted, one per line.
replies() {
    PATH=$path bash --norc --noprofile -c '
        source "$1" || exit 1
        shift
        fn=$(complete -p pgsup | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        [ -n "$fn" ] || { echo "no completion function for pgsup" >&2; exit 1; }
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@" | sed '/^$/d' | sort
}

# expect WORD... :: REPLY...: completing the last WORD gives exactly the REPLYs.
expect() {
    local -a words=() want=()
    while [ "$1" != "::" ]; do
        words+=("$1")
        shift
    done
    shift
    want=("$@")
    got=$(replies "${words[@]}")
    wanted=$(printf '%s\n' "${want[@]}" | sed '/^$/d' | sort)
    [ "$got" = "$wanted" ] ||
        fail "completing '${words[*]}': got [$(echo $got)], want [$(echo $wanted)]"
    say "'${words[*]}<TAB>' -> $(echo $got)"
}

# includes WORD... :: REPLY...: the REPLYs are among what completing the last WORD gives.
includes() {
    local -a words=()
    while [ "$1" != "::" ]; do
        words+=("$1")
        shift
    done
    shift
    got=$(replies "${words[@]}")
    for w in "$@"; do
        grep -qx -- "$w" <<<"$got" || fail "completing '${words[*]}': '$w' is not offered: [$(echo $got)]"
    done
    say "'${words[*]}<TAB>' offers $*"
}

# Subcommands, and the issue's own example.
expect pgsup r :: run
expect pgsup '' :: run timeout daemon ctl --help --version
expect "$INSTALLED_PGSUP" ti :: timeout

# Every option of every subcommand's --help (its lines that start with an option) is offered.
for sub in run timeout daemon ctl; do
    opts=$("$INSTALLED_PGSUP" "$sub" --help | grep -E '^[[:space:]]+-' |
        grep -Eo '(^|[ ,[])--?[a-zA-Z][a-z-]*=?' | sed 's/^[ ,[]//' | sort -u)
    [ -n "$opts" ] || fail "no option in pgsup $sub --help"
    # shellcheck disable=SC2086 # one word per option
    includes pgsup "$sub" - :: $opts
done
# ctl's requests take options of their own, after the request ("signal [--tree] SIG ...");
# the capitals of a placeholder ("tail [-BYTES]") are none.
requests=0
while read -r request rest; do
    opts=$(grep -Eo '\[--?[a-z][a-z-]*\]' <<<"$rest" | tr -d '[]' | sort -u || true)
    [ -n "$opts" ] || continue
    # shellcheck disable=SC2086 # one word per option
    expect pgsup ctl "$request" - :: $opts
    requests=$((requests + 1))
done < <("$INSTALLED_PGSUP" ctl --help | grep -E '^[[:space:]]+[a-z]')
[ "$requests" -ge 3 ] || fail "ctl --help: only $requests requests with options (status, signal, tail)"
expect pgsup run --kill :: --kill-after=
expect pgsup timeout --pre :: --preserve-status

# Values: signals, files, nothing where a number goes; bash splits --signal=K at the '='.
includes pgsup run -s '' :: TERM KILL HUP INT USR1 RTMIN
expect pgsup run -s TE :: TERM
expect pgsup run --signal = KI :: KILL
expect pgsup timeout --sig = KI :: KILL
expect pgsup run -pvs TE :: TERM
expect pgsup run --timeout '' ::
expect pgsup timeout -k 5 --signal STO :: STOP
conf jobs <<EOF
[program:alpha]
command = sleep 1000

[program:beta]
command = sleep 1000
autostart = false
EOF
expect pgsup daemon -c "$W/job" :: "$W/jobs.conf"
expect pgsup daemon --config = "$W/job" :: "$W/jobs.conf"

# The supervised command, after the options (and after timeout's duration).
expect pgsup run pgsup-test-c :: pgsup-test-command
expect pgsup run -t 5 -- pgsup-test-c :: pgsup-test-command
expect pgsup timeout pgsup-test-c ::
expect pgsup timeout 5 pgsup-test-c :: pgsup-test-command
expect pgsup timeout --kill-after 1 5 pgsup-test-c :: pgsup-test-command

# ctl: its requests, then job names from the daemon that -s, --socket or -c names.
requests=$("$INSTALLED_PGSUP" ctl --help | sed -En 's/^[[:space:]]+([a-z][a-z-]*)([[:space:]].*)?$/\1/p')
[ "$(wc -w <<<"$requests")" -ge 14 ] || fail "ctl --help lists too few requests: $(echo $requests)"
# shellcheck disable=SC2086 # one word per request
expect pgsup ctl '' :: $requests
expect pgsup ctl re :: reload remove reread restart
expect pgsup ctl -s "$SOCK" st :: start status stop
expect pgsup ctl status --j :: --json
expect pgsup ctl -s "$W/no-daemon-here" stop '' :: all
start_daemon jobs
expect pgsup ctl -s "$SOCK" stop '' :: alpha beta all
expect pgsup ctl --socket = "$SOCK" start a :: alpha all
expect pgsup ctl -c "$W/jobs.conf" status '' :: alpha beta
expect pgsup ctl --config = "$W/jobs.conf" restart b :: beta
includes pgsup ctl -s "$SOCK" signal '' :: TERM HUP
expect pgsup ctl -s "$SOCK" signal HUP '' :: alpha beta all
expect pgsup ctl -s "$SOCK" signal --tree HUP '' :: alpha beta all
includes pgsup ctl -s "$SOCK" signal --tree '' :: TERM HUP
expect pgsup ctl -s "$SOCK" tail a :: alpha
expect pgsup ctl -s "$SOCK" tail -f alpha '' :: stdout stderr
expect pgsup ctl -s "$SOCK" tail alpha stdout '' ::
expect pgsup ctl -s "$SOCK" pid '' :: alpha beta all
expect pgsup ctl -s "$SOCK" clear b :: beta
expect pgsup ctl -s "$SOCK" remove '' :: alpha beta
expect pgsup ctl -s "$SOCK" add '' ::
expect pgsup ctl -s "$SOCK" update '' :: alpha beta all
expect pgsup ctl -s "$SOCK" reread '' ::
stop_daemon

# Groups: GROUP, GROUP:* and GROUP:PROCESS. bash splits a word at ':' as at '='
# (COMP_WORDBREAKS) and replaces only what follows it; a word given whole is completed whole.
conf groups <<EOF
[program:worker]
command = sleep 1000
numprocs = 2
process_name = %(program_name)s_%(process_num)02d
environment = TREE=completion

[program:web]
command = sleep 1000
environment = TREE=completion

[group:app]
programs = web
EOF
start_daemon groups
expect pgsup ctl -c "$W/groups.conf" stop '' :: app 'app:*' app:web worker 'worker:*' \
    worker:worker_00 worker:worker_01 all
expect pgsup ctl -c "$W/groups.conf" stop worker: :: 'worker:*' worker:worker_00 worker:worker_01
expect pgsup ctl -c "$W/groups.conf" stop worker : :: '*' worker_00 worker_01
expect pgsup ctl -c "$W/groups.conf" stop worker : worker_0 :: worker_00 worker_01
expect pgsup ctl -c "$W/groups.conf" signal --tree HUP app : :: '*' web
expect pgsup ctl -c "$W/groups.conf" tail worker : worker_00 '' :: stdout stderr
expect pgsup ctl -c "$W/groups.conf" tail '' :: app:web worker:worker_00 worker:worker_01
expect pgsup ctl -c "$W/groups.conf" remove '' :: app worker
"$INSTALLED_PGSUP" ctl -c "$W/groups.conf" stop app >/dev/null || fail "ctl stop app"
"$INSTALLED_PGSUP" ctl -c "$W/groups.conf" remove app >/dev/null || fail "ctl remove app"
expect pgsup ctl -c "$W/groups.conf" add '' :: app
expect pgsup ctl -c "$W/groups.conf" update '' :: app worker all
stop_daemon
absent TREE=completion
say "ok"
