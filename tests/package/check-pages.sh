#!/usr/bin/env bash
# check-pages.sh: the installed man pages. Every page (and every link to one) renders without a
# warning, both as groff sees it (`groff -man -ww -z`) and as Debian's lintian does (`man
# --warnings`); doc-coverage.py finds every option, subcommand, ctl request, config key and
# public name of the code documented in the pages and the README. Then the same check must
# fail on an option, a key and a page line that the test changes, so that it is known to catch
# what it is there for.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup check-pages
[ -f "$MAN_DIR/man1/pgsup.1" ] ||
    fail "no man page was installed (scdoc missing? scripts/install-deps installs it)"

# ---- rendering --------------------------------------------------------------------------
pages=0
cd "$MAN_DIR" || exit 1
for page in man*/*; do
    # A link (pgsup_run.3 -> libpgsup.3) must point at an installed page.
    [ -e "$page" ] || fail "$page is a dangling link"
    out=$(groff -t -man -ww -z "$page" 2>&1)
    [ -z "$out" ] || fail "groff -man -ww -z $page: $out"
    out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" \
        2>&1 >/dev/null)
    [ -z "$out" ] || fail "man --warnings -l $page: $out"
    pages=$((pages + 1))
done
cd - >/dev/null || exit 1
echo "check-pages: $pages pages and links render without a warning"

# ---- coverage ---------------------------------------------------------------------------
coverage() { # PGSUP MAN_DIR README SOURCE_ROOT
    python3 "$here/doc-coverage.py" --pgsup "$1" --man-dir "$2" --readme "$3" --source-root "$4"
}
coverage "$INSTALLED_PGSUP" "$MAN_DIR" "$SOURCE_ROOT/README.md" "$SOURCE_ROOT" ||
    fail "the man pages or the README miss what the code has (above)"

# must_fail WHAT NEEDLE ARGS...: the coverage check run on ARGS must fail and name NEEDLE.
must_fail() {
    local what=$1 needle=$2 out status
    shift 2
    out=$(coverage "$@")
    status=$?
    if [ "$status" -ne 1 ] || ! grep -q -- "$needle" <<<"$out"; then
        echo "$out"
        fail "doc-coverage.py does not notice $what (exit $status)"
    fi
}

# A new option of pgsup run, as another change could add it.
cat >"$work/pgsup-new-option" <<EOF
#!/bin/sh
if [ "\$1" = run ] && [ "\$2" = --help ]; then
    "$INSTALLED_PGSUP" run --help
    echo "      --frobnicate           an option nobody documented"
    exit 0
fi
exec "$INSTALLED_PGSUP" "\$@"
EOF
chmod +x "$work/pgsup-new-option"
must_fail "an undocumented option" "'--frobnicate' is not documented under 'pgsup run'" \
    "$work/pgsup-new-option" "$MAN_DIR" "$SOURCE_ROOT/README.md" "$SOURCE_ROOT"

# A new [program:x] key in the key table.
mkdir -p "$work/src/src/daemon" "$work/src/include"
cp "$SOURCE_ROOT/src/daemon/config.c" "$work/src/src/daemon/"
cp "$SOURCE_ROOT/include/pgsup.h" "$work/src/include/"
sed 's/^\(\s*\){"command", /\1{"frobnicate_key", NULL, CONFIG_STREAM_NONE},\n&/' \
    "$SOURCE_ROOT/src/daemon/config_keys.c" >"$work/src/src/daemon/config_keys.c"
grep -q frobnicate_key "$work/src/src/daemon/config_keys.c" || fail "could not add a key to a copy"
must_fail "an undocumented config key" "'frobnicate_key' is not documented under '\[program:NAME\]'" \
    "$INSTALLED_PGSUP" "$MAN_DIR" "$SOURCE_ROOT/README.md" "$work/src"

# An option that the page no longer mentions.
cp -r "$MAN_DIR" "$work/man"
grep -v -e 'no-tty' "$MAN_DIR/man1/pgsup.1" >"$work/man/man1/pgsup.1"
must_fail "an option missing from pgsup(1)" "pgsup(1): option of pgsup run '--no-tty'" \
    "$INSTALLED_PGSUP" "$work/man" "$SOURCE_ROOT/README.md" "$SOURCE_ROOT"

echo "check-pages: ok (and the coverage check catches an undocumented option, key and line)"
