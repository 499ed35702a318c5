#!/usr/bin/env bash
# tests/package/deb.sh: the Debian packages as a user gets them. Builds pgsup, libpgsup0 and
# libpgsup-dev (scripts/deb, DEB_BUILD_OPTIONS=nocheck: the suite ran already), runs lintian
# (fails on an error, lists the rest), installs them on this machine, checks what a user would
# (the binary ends a real `watch top` tree, the man pages, the unit installed but not enabled,
# the completion where bash-completion finds it, the separate `timeout` link, an example built
# with `pkg-config pgsup` against the -dev package), then purges them and whatever apt brought
# with them, and checks that the installed packages are as before. Called by scripts/test.
# Needs root. Prints "deb: ok" or "deb: FAIL: ..." lines; exit status 0 or 1.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
packages=(pgsup libpgsup0 libpgsup-dev)

say() { echo "deb: $*"; }
fail() {
    say "FAIL: $*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (it installs and purges packages)"
work=$(mktemp -d "${TMPDIR:-/tmp}/pgsup-deb-test-XXXXXX") || exit 1
installed=false

installed_list() { dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort; }

cleanup() {
    local rc=$? purge
    if $installed; then
        # Ours, and what apt installed with them (dependencies that were missing).
        purge=$(comm -13 <(cut -d' ' -f1 "$work/before") \
            <(installed_list | awk '$3 ~ /^.i/ { print $1 }'))
        if [ -n "$purge" ] && ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
            -o DPkg::Lock::Timeout=600 $purge >"$work/purge.log" 2>&1; then
            cat "$work/purge.log"
            say "FAIL: cannot purge $purge"
            rc=1
        fi
        if ! installed_list | diff -u "$work/before" - >"$work/diff"; then
            cat "$work/diff"
            say "FAIL: the installed packages are not as before the test"
            rc=1
        fi
        for f in /usr/bin/pgsup /lib/systemd/system/pgsup.service /usr/lib/pgsup; do
            if [ -e "$f" ]; then
                say "FAIL: $f is still there after the purge"
                rc=1
            fi
        done
        say "purged $(echo $purge)"
        [ "$rc" -ne 0 ] || say "the installed packages are as before"
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# Two checkouts testing at once on one machine (dpkg has one database): one after the other.
lock=/run/lock/pgsup-deb-test.lock
[ -d /run/lock ] || lock=/tmp/pgsup-deb-test.lock
exec 9>"$lock"
flock -w 1800 9 || fail "another deb test holds $lock for 30 minutes"
for p in "${packages[@]}"; do
    if dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.i'; then
        fail "$p is already installed here; this test installs and purges it, so it will not" \
            "touch one it did not install (dpkg --purge ${packages[*]} first)"
    fi
done

# ---- build and lintian ---------------------------------------------------------------------
start=$SECONDS
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" scripts/deb "$work/debs" >"$work/built" ||
    fail "the packages do not build (scripts/deb)"
say "built in $((SECONDS - start)) s: $(sed 's|.*/||' "$work/built" | tr '\n' ' ')"
version=$(dpkg-parsechangelog -S Version)
debs=()
for p in "${packages[@]}"; do
    debs+=("$work/debs/${p}_${version}_$(dpkg --print-architecture).deb")
    [ -f "${debs[-1]}" ] || fail "no ${debs[-1]##*/}"
done

start=$SECONDS
lintian --pedantic --display-info --fail-on error "$work"/debs/*.changes >"$work/lintian" 2>&1
lintian_rc=$?
grep -v '^running with root privileges' "$work/lintian" | sed 's/^/deb: lintian: /'
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors (exit $lintian_rc)"
say "lintian: no error ($(grep -c '^W:' "$work/lintian") warnings," \
    "$(grep -c '^[IP]:' "$work/lintian") notes) in $((SECONDS - start)) s"

# ---- install -------------------------------------------------------------------------------
installed_list >"$work/before"
installed=true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${debs[@]}" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "apt-get install of the packages failed"; }
say "installed ${packages[*]} $version"

got=$(/usr/bin/pgsup --version) || fail "/usr/bin/pgsup --version failed"
[ "$got" = "pgsup $version" ] || fail "/usr/bin/pgsup --version says '$got', want 'pgsup $version'"

# ---- the binary ends a whole tree ------------------------------------------------------------
# Every process of the run carries a marker in its environment; the processes are then found
# by pid through /proc (never by name), during the run and after it.
mark=$$-$RANDOM$RANDOM
marked() { grep -lsz -x "PGSUP_DEB_MARK=$mark" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3; }
start_time() { cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null; }
(cd "$work" && exec env PGSUP_DEB_MARK="$mark" TERM=dumb \
    /usr/bin/pgsup run --timeout 1s -- bash -c 'watch top > top.log') &
run=$!
watch_pid=
while kill -0 "$run" 2>/dev/null; do
    if [ -z "$watch_pid" ]; then
        for pid in $(marked); do
            if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = watch ]; then
                watch_pid=$pid
                watch_start=$(start_time "$pid")
            fi
        done
    fi
    sleep 0.02
done
wait "$run"
status=$?
[ "$status" -eq 124 ] || fail "pgsup run --timeout 1s -- bash -c 'watch top > top.log' exited $status, want 124"
[ -s "$work/top.log" ] || fail "watch wrote nothing to top.log: it never ran, so the check proves nothing"
if [ -n "$watch_pid" ] && [ "$(start_time "$watch_pid")" = "$watch_start" ]; then
    fail "watch (pid $watch_pid) survived pgsup run"
fi
left=$(marked | tr '\n' ' ')
[ -z "$left" ] || fail "processes of the tree survived: pids $left"
say "pgsup run --timeout 1s -- bash -c 'watch top > top.log': 124, watch${watch_pid:+ (pid $watch_pid)} gone, no process of the tree left"

# ---- the man pages, the unit, the completion, the timeout link ------------------------------
for page in 1:pgsup 5:pgsup.conf 3:libpgsup 3:pgsup_run; do
    path=$(man -w "${page%%:*}" "${page#*:}" 2>/dev/null) || fail "man ${page%%:*} ${page#*:}: no page"
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
        "$path" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man ${page#*:}: $warnings"
done
say "man pages: pgsup(1), pgsup.conf(5), libpgsup(3), pgsup_run(3) render without a warning"

unit=/lib/systemd/system/pgsup.service
[ -f "$unit" ] || fail "no $unit"
enabled=$(find /etc/systemd/system -name pgsup.service 2>/dev/null)
[ -z "$enabled" ] || fail "the unit is enabled: $enabled"
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
    say "unit: $unit installed, not enabled, systemd-analyze verify clean"
else
    say "unit: $unit installed, not enabled (no systemd-analyze here: not verified)"
fi

comp=$(bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion 2>/dev/null || exit 3
    __load_completion pgsup || exit 4
    COMP_WORDS=(pgsup r); COMP_CWORD=1; COMP_LINE="pgsup r"; COMP_POINT=7
    fn=$(complete -p pgsup | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    "$fn" pgsup r pgsup
    echo "${COMPREPLY[*]}"')
case $? in
0) [ "$comp" = run ] || fail "bash-completion: pgsup r<TAB> gives '$comp', want 'run'" ;;
3) fail "bash-completion is not installed (scripts/install-deps installs it)" ;;
*) fail "bash-completion does not find the installed completion for pgsup" ;;
esac
say "completion: bash-completion loads it on demand; pgsup r<TAB> gives run"

[ "$(dpkg -S /usr/bin/timeout 2>/dev/null | cut -d: -f1)" = coreutils ] ||
    fail "/usr/bin/timeout is no longer coreutils'"
got=$(PATH=/usr/lib/pgsup/timeout-compat:$PATH timeout --version | head -n 1)
[ "$got" = "timeout (pgsup) $version" ] ||
    fail "with /usr/lib/pgsup/timeout-compat first in PATH, timeout --version says '$got'"
PATH=/usr/lib/pgsup/timeout-compat:$PATH timeout 0.2 sleep 10
status=$?
[ "$status" -eq 124 ] || fail "timeout-compat: timeout 0.2 sleep 10 exited $status, want 124"
say "timeout: /usr/bin/timeout is coreutils'; /usr/lib/pgsup/timeout-compat/timeout is pgsup's"

# ---- the -dev package ------------------------------------------------------------------------
got=$(pkg-config --modversion pgsup) || fail "pkg-config does not know pgsup"
[ "$got" = "$version" ] || fail "pkg-config --modversion pgsup: '$got', want '$version'"
examples=/usr/share/doc/libpgsup-dev/examples
# shellcheck disable=SC2046 # the flags are words
cc -Wall -Werror "$examples/sync.c" $(pkg-config --cflags --libs pgsup) -o "$work/sync" ||
    fail "cannot build $examples/sync.c with pkg-config pgsup"
# shellcheck disable=SC2046
cc -Wall -Werror "$examples/async.c" $(pkg-config --cflags --libs pgsup) -lev -o "$work/async" ||
    fail "cannot build $examples/async.c with pkg-config pgsup -lev"
ldd "$work/sync" | grep -Eq "libpgsup.so.0 => (/usr)?/lib/.*/libpgsup.so.0" ||
    fail "the example does not load the installed libpgsup: $(ldd "$work/sync")"
out=$(cd "$work" && env -u PGSUP_BIN PGSUP_DEB_MARK="$mark" ./sync) || fail "the sync example failed: $out"
grep -q '^timed out: yes' <<<"$out" || fail "the sync example: $out"
out=$(cd "$work" && env -u PGSUP_BIN PGSUP_DEB_MARK="$mark" ./async) || fail "the async example failed: $out"
[ "$(grep -c 'deadline hit' <<<"$out")" -eq 2 ] || fail "the async example: $out"
left=$(marked | tr '\n' ' ')
[ -z "$left" ] || fail "processes of the examples' trees survived: pids $left"
say "libpgsup-dev: pkg-config pgsup $got; sync.c and async.c build, run the installed pgsup, leave nothing"

say "ok"
