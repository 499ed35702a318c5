#!/usr/bin/env bash
# check-unit.sh: the installed systemd unit. It starts the installed pgsup daemon on the
# installed config path, is a Type=notify service with a synchronous reload and KillMode=mixed,
# keeps none of the directives that would break what the daemon must do (kill the trees of
# any user as root, become a subreaper, start user= jobs with setpriv, write logs anywhere and
# its socket in /run), and `systemd-analyze verify` finds nothing wrong with it: its commands
# exist (pointed into the DESTDIR) and its Documentation= pages are installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup check-unit
[ -n "$UNIT" ] || fail "no pgsup.service was installed"
prefix=${PREFIX_DIR#"$work/dest"}
echo "check-unit: installed as ${UNIT#"$work/dest"}"

# key=value lines of the unit, comments left out.
setting() { sed -n "s/^$1=//p" "$UNIT"; }
[ "$(setting Type)" = notify ] || fail "Type= is '$(setting Type)', want notify"
[ "$(setting KillMode)" = mixed ] || fail "KillMode= is '$(setting KillMode)', want mixed"
start=$(setting ExecStart)
case $start in
"$prefix/bin/pgsup daemon -c "*/pgsup.conf) ;;
*) fail "ExecStart=$start does not start $prefix/bin/pgsup daemon on a pgsup.conf" ;;
esac
case $(setting ExecReload) in
"$prefix/bin/pgsup ctl "*reload) ;;
*) fail "ExecReload=$(setting ExecReload) is not a pgsup ctl reload" ;;
esac
[ "$(setting WantedBy)" = multi-user.target ] || fail "no WantedBy=multi-user.target"

# directive=value:why each would break the daemon or every job.
for rule in 'User=.*:the daemon must be root' \
    'DynamicUser=yes:the daemon must be root' \
    'NoNewPrivileges=yes:jobs could not run setuid programs' \
    'ProtectSystem=.*:log files and jobs write anywhere' \
    'ProtectHome=.*:jobs and logs may live in /home' \
    'PrivateTmp=yes:jobs would not share /tmp with the system' \
    'CapabilityBoundingSet=.*:the daemon needs CAP_KILL, CAP_SETUID, CAP_SETGID, CAP_SYS_PTRACE' \
    'ProtectProc=.*:the daemon reads /proc of every process of its trees' \
    'KillMode=control-group:systemd would kill the jobs before the daemon stops them'; do
    if grep -Eq "^${rule%%:*}\$" "$UNIT"; then
        fail "the unit sets ${rule%%:*}, but ${rule#*:}"
    fi
done

if ! command -v systemd-analyze >/dev/null; then
    echo "check-unit: ok; systemd-analyze verify skipped: systemd-analyze is not installed"
    exit 0
fi
# verify wants the commands to exist: the copy it checks runs the DESTDIR's pgsup.
sed "s|$prefix/bin/pgsup|$PREFIX_DIR/bin/pgsup|g" "$UNIT" >"$work/pgsup.service"
out=$(MANPATH=$MAN_DIR systemd-analyze verify "$work/pgsup.service" 2>&1)
status=$?
[ "$status" -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $status): $out"
echo "check-unit: ok; systemd-analyze verify finds nothing to say"
