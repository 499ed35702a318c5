#!/usr/bin/env python3
"""The folders of src/ are the architecture: core < lib < daemon < cli. A file may include
headers of its own layer and of the layers below it, never above; modules (x.c + x.h) must not
include each other in a circle; and every source lives in a layer folder. Prints the include
graph's size (module edges, longest chain of modules) and exits 1 on any violation.

usage: check_layers.py SRC_DIR PUBLIC_HEADER"""
import os
import re
import sys

LAYERS = ["core", "lib", "daemon", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(src, public_header):
    src = os.path.abspath(src)
    public_header = os.path.abspath(public_header)
    errors = []
    files = []
    for d, _, names in os.walk(src):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                files.append(os.path.join(d, n))

    def layer(path):
        if path == public_header:
            return "lib"  # pgsup.h is the API that lib/api.c implements
        rel = os.path.relpath(path, src).split(os.sep)
        return rel[0] if len(rel) == 2 and rel[0] in LAYERS else None

    def module(path):
        if path == public_header:
            return "include/pgsup"
        return os.path.splitext(os.path.relpath(path, src))[0]

    edges = {}
    for f in files:
        mine = layer(f)
        if mine is None:
            errors.append(f"{os.path.relpath(f, src)}: not in a layer folder ({', '.join(LAYERS)})")
            continue
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if inc == os.path.basename(public_header):
                target = public_header
            else:
                # gcc looks beside the including file first, then in -iquote src.
                candidates = [os.path.join(os.path.dirname(f), inc), os.path.join(src, inc)]
                target = next((os.path.normpath(c) for c in candidates if os.path.exists(c)), None)
            if target is None:
                continue  # a generated or third-party header (cmocka, ini): not ours
            theirs = layer(target)
            where = f"src/{os.path.relpath(f, src)}:{line}"
            if theirs is None:
                errors.append(f"{where}: includes \"{inc}\", which is in no layer")
            elif LAYERS.index(theirs) > LAYERS.index(mine):
                errors.append(f"{where}: {mine} includes \"{inc}\" of {theirs}, a layer above")
            a, b = module(f), module(target)
            if a != b:
                edges.setdefault(a, set()).add(b)

    # Longest chain of module includes; a circle is an error.
    depth = {}
    state = {}

    def visit(n, path):
        if state.get(n) == "done":
            return depth[n]
        if state.get(n) == "open":
            cycle = path[path.index(n):] + [n]
            errors.append("include cycle: " + " -> ".join(cycle))
            return 0
        state[n] = "open"
        d = 1 + max((visit(m, path + [n]) for m in sorted(edges.get(n, ()))), default=0)
        state[n] = "done"
        depth[n] = d
        return d

    nodes = set(edges) | {m for s in edges.values() for m in s}
    levels = max((visit(n, []) for n in sorted(nodes)), default=0)
    n_edges = sum(len(s) for s in edges.values())
    print(f"{len(nodes)} modules, {n_edges} include edges, longest chain {levels} modules")
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
