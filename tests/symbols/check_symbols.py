#!/usr/bin/env python3
"""check_symbols.py: the shared libpgsup exports exactly the functions that include/pgsup.h
declares with PGSUP_API: nothing internal leaks (the library is built with hidden visibility),
and nothing public is missing.

Usage: check_symbols.py LIBPGSUP.so PGSUP.h   (nm is taken from $NM, else from PATH)
Exits 0 when the two sets match, 1 with the differences listed otherwise, 2 on a usage error.
"""
import os
import re
import shlex
import subprocess
import sys


def declared_functions(header_text):
    """Names of the functions declared with PGSUP_API, comments and preprocessor lines aside."""
    text = re.sub(r"/\*.*?\*/", " ", header_text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # Preprocessor lines, continuations included: "#define PGSUP_API ..." is no declaration.
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    names = set()
    for decl in re.findall(r"\bPGSUP_API\b([^;{]*)[;{]", text):
        # The declared name is the identifier right before the first '(' of the declaration.
        m = re.search(r"\b([A-Za-z_]\w*)\s*\(", decl)
        if not m:
            sys.exit("check_symbols: cannot read the PGSUP_API declaration:%s" % decl)
        names.add(m.group(1))
    return names


def exported_symbols(lib):
    """(type, name) of every symbol the library defines in its dynamic symbol table."""
    nm = shlex.split(os.environ.get("NM", "nm"))
    out = subprocess.run(nm + ["-D", "--defined-only", lib], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    symbols = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1].split("@")[0]
        symbols.append((kind, name))
    return symbols


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lib, header = argv[1], argv[2]
    with open(header, encoding="utf-8") as f:
        want = declared_functions(f.read())
    if not want:
        print("check_symbols: no PGSUP_API function found in %s" % header, file=sys.stderr)
        return 1
    symbols = exported_symbols(lib)
    functions = {name for kind, name in symbols if kind == "T"}
    # Any other global defined symbol (data, weak, indirect) is a leak as well.
    others = {"%s (%s)" % (name, kind) for kind, name in symbols
              if kind != "T" and kind.isupper() and kind not in "AU"}

    missing = sorted(want - functions)
    extra = sorted(functions - want)
    for name in missing:
        print("declared with PGSUP_API but not exported: %s" % name)
    for name in extra:
        print("exported but not declared with PGSUP_API in %s: %s" % (header, name))
    for name in sorted(others):
        print("exported symbol that is not a public function: %s" % name)
    if missing or extra or others:
        return 1
    print("%d exported functions, as declared: %s" % (len(want), " ".join(sorted(want))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
