#!/bin/sh
# install-pkgconfig.sh MESON BUILD_ROOT VERSION SANITIZE CONSUMER_C CC...
#
# Installs the build into a temporary DESTDIR, then builds consumer.c against it with nothing
# but what pkg-config says (PKG_CONFIG_SYSROOT_DIR pointing into the DESTDIR) and runs it with
# the installed library and the installed pgsup: proves pgsup.pc, the installed header and the
# installed library work for a user. Built twice: against the shared library (which must be
# the installed one, per ldd), and against the static one with `pkg-config --static`, whose
# private libraries must be enough to link. SANITIZE is meson's b_sanitize: the installed
# library of a sanitizer build needs the program built with the same runtime.
set -u
meson=$1
build=$2
version=$3
sanitize=$4
consumer=$5
shift 5
# the compiler command, as meson has it: "$@"

fail() {
    echo "install-pkgconfig: FAIL: $*"
    exit 1
}

destdir=$(mktemp -d "${TMPDIR:-/tmp}/pgsup-install-XXXXXX") || exit 1
trap 'rm -rf "$destdir"' EXIT

"$meson" install -C "$build" --no-rebuild --destdir "$destdir" >"$destdir.log" 2>&1
status=$?
cat "$destdir.log"
rm -f "$destdir.log"
[ "$status" -eq 0 ] || fail "meson install exited with $status"

pc=$(find "$destdir" -name pgsup.pc)
[ -n "$pc" ] || fail "no pgsup.pc was installed"
pcdir=$(dirname "$pc")
bin=$(find "$destdir" -path '*/bin/pgsup' -type f)
[ -n "$bin" ] || fail "no pgsup binary was installed"
# Only the installed pgsup.pc is seen; its paths are read inside the DESTDIR.
PKG_CONFIG_PATH=$pcdir
PKG_CONFIG_LIBDIR=$pcdir
PKG_CONFIG_SYSROOT_DIR=$destdir
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

got=$(pkg-config --modversion pgsup) || fail "pkg-config does not know pgsup"
[ "$got" = "$version" ] || fail "pgsup.pc says version '$got', expected '$version'"
cflags=$(pkg-config --cflags pgsup) || fail "pkg-config --cflags pgsup"
libs=$(pkg-config --libs pgsup) || fail "pkg-config --libs pgsup"
static_libs=$(pkg-config --static --libs pgsup) || fail "pkg-config --static --libs pgsup"
echo "install-pkgconfig: cflags: $cflags"
echo "install-pkgconfig: libs: $libs"
echo "install-pkgconfig: static libs: $static_libs"
case "$cflags" in
*"$destdir"*) ;;
*) fail "the cflags do not point into the DESTDIR" ;;
esac
libdir=$(dirname "$(find "$destdir" -name 'libpgsup.so.*' | head -n 1)")
[ -f "$libdir/libpgsup.a" ] || fail "no libpgsup.a next to libpgsup.so"

san=
[ "$sanitize" = none ] || san="-fsanitize=$sanitize"
# The installed header must stand on its own in strict C, with every warning an error.
strict="-std=c99 -Wall -Wextra -Werror -Wpedantic"
# The static library by file name: -lpgsup would pick the shared one.
static_libs=$(echo "$static_libs" | sed 's/-lpgsup\b/-l:libpgsup.a/')

# shellcheck disable=SC2086 # word splitting of the flags is wanted
"$@" $strict $san -DWANT_VERSION="\"$version\"" "$consumer" $cflags $libs \
    -o "$destdir/consumer" || fail "cannot build against the shared library"
# shellcheck disable=SC2086
"$@" $strict $san -DWANT_VERSION="\"$version\"" "$consumer" $cflags $static_libs \
    -o "$destdir/consumer-static" || fail "cannot build against the static library"

LD_LIBRARY_PATH=$libdir
PGSUP_BIN=$bin
export LD_LIBRARY_PATH PGSUP_BIN
ldd "$destdir/consumer" | grep -q "libpgsup.so.* => $libdir/libpgsup.so" ||
    fail "the program does not load the installed libpgsup: $(ldd "$destdir/consumer")"
if ldd "$destdir/consumer-static" | grep -q libpgsup; then
    fail "the static program still loads libpgsup.so"
fi
"$destdir/consumer" || fail "the program built against the shared library failed"
"$destdir/consumer-static" || fail "the program built against the static library failed"
echo "install-pkgconfig: ok"
