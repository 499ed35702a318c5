# lib.sh: what the package tests share. Each test installs the build as a user would, with
# `meson install --destdir`, into its own temporary directory, and checks what was installed
# there, never the build tree. Environment from meson: MESON, BUILD_ROOT, SOURCE_ROOT.

# install_destdir DIR: installs the build under DIR and sets PREFIX_DIR (DIR + prefix),
# INSTALLED_PGSUP, MAN_DIR, UNIT and COMPLETION (empty when not installed).
install_destdir() {
    local dest=$1
    "$MESON" install -C "$BUILD_ROOT" --no-rebuild --destdir "$dest" >"$dest.install.log" 2>&1 || {
        cat "$dest.install.log"
        echo "package: FAIL: meson install --destdir $dest failed"
        return 1
    }
    rm -f "$dest.install.log"
    INSTALLED_PGSUP=$(find "$dest" -path '*/bin/pgsup' -type f)
    PREFIX_DIR=${INSTALLED_PGSUP%/bin/pgsup}
    MAN_DIR=$(find "$dest" -path '*/man1/pgsup.1' | head -n 1)
    MAN_DIR=${MAN_DIR%/man1/pgsup.1}
    UNIT=$(find "$dest" -path '*/systemd/system/pgsup.service' | head -n 1)
    COMPLETION=$(find "$dest" -path '*/bash-completion/completions/pgsup' | head -n 1)
    [ -n "$INSTALLED_PGSUP" ] || { echo "package: FAIL: no pgsup installed"; return 1; }
}

# setup NAME: for a test script: fail() (a line "NAME: FAIL: ..." and exit 1), a temporary
# directory $work removed at the exit, and the build installed under $work/dest.
setup() {
    name=$1
    fail() {
        echo "$name: FAIL: $*"
        exit 1
    }
    work=$(mktemp -d "${TMPDIR:-/tmp}/pgsup-$name-XXXXXX") || exit 1
    trap 'rm -rf "$work"' EXIT
    install_destdir "$work/dest" || exit 1
}
