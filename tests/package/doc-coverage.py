#!/usr/bin/env python3
"""doc-coverage.py: every option, subcommand, ctl request, config key and public name of pgsup
must be documented, in the installed man pages and in the README, in the right section.

    doc-coverage.py --pgsup BIN --man-dir DIR --readme README.md --source-root DIR

What must be documented is read from the code, never listed here, so that a change to the code
that is not documented fails this test:
- the subcommands, from `pgsup --help` (its lines "  pgsup SUB ...");
- each subcommand's options, from `pgsup SUB --help` (every -x and --long in it), and ctl's
  requests (the indented lowercase words of `pgsup ctl --help`);
- the [program:x] keys, from the key table of src/daemon/config_keys.c (program_keys[]);
- the [pgsup] keys, from load_pgsup() of src/daemon/config.c;
- libpgsup's functions, constants, types and struct fields, from include/pgsup.h.
Where: a subcommand's options and requests under the heading that names "pgsup SUB", in
pgsup(1) and in the README; program keys under the heading that names "[program:", and
[pgsup] keys under "[pgsup]", in pgsup.conf(5) and in the README; libpgsup's names anywhere in
libpgsup(3), and each function has a page of its own in man3 (`man pgsup_run`).

Exit status: 0 when everything is documented, 1 with one line per missing item, 2 when the
code could not be read (a refactoring moved what this script looks for: update it).
"""
import argparse
import os
import re
import subprocess
import sys


class SourceError(Exception):
    pass


# ---- what the code has ------------------------------------------------------------------

OPTION_RE = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def help_text(pgsup, *args):
    r = subprocess.run([pgsup, *args, "--help"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not r.stdout.strip():
        raise SourceError(f"`{pgsup} {' '.join(args)} --help` failed ({r.returncode}): {r.stderr}")
    return r.stdout


def subcommands(pgsup):
    subs = re.findall(r"^\s+pgsup\s+([a-z][a-z-]*)", help_text(pgsup), re.M)
    if not subs:
        raise SourceError("`pgsup --help` lists no subcommand (lines '  pgsup SUB ...')")
    return list(dict.fromkeys(subs))


def top_options(pgsup):
    """The options of `pgsup` itself: those of its help lines that name no subcommand."""
    lines = [l for l in help_text(pgsup).splitlines()
             if not re.match(r"^\s+pgsup\s+[a-z]", l)]
    return list(dict.fromkeys(OPTION_RE.findall("\n".join(lines))))


def sub_options(pgsup, sub):
    return list(dict.fromkeys(OPTION_RE.findall(help_text(pgsup, sub))))


def ctl_requests(pgsup):
    """The indented lowercase words that start lines of ctl's help (its request list)."""
    reqs = re.findall(r"^\s+([a-z][a-z-]*)(?:\s|$)", help_text(pgsup, "ctl"), re.M)
    if not reqs:
        raise SourceError("`pgsup ctl --help` lists no request")
    return list(dict.fromkeys(reqs))


def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def code_list(root, rel, block_re, item_re, what):
    """The item_re matches in the first block_re match of a source file, comments left out."""
    path = os.path.join(root, rel)
    text = strip_c_comments(open(path, encoding="utf-8").read())
    m = re.search(block_re, text, re.S)
    items = re.findall(item_re, m.group(1)) if m else []
    if not items:
        raise SourceError(f"{path}: {what}")
    return items


def program_keys(root):
    return code_list(root, "src/daemon/config_keys.c", r"program_keys\[\]\s*=\s*\{(.*?)\n\};",
                     r'\{\s*"([a-z_0-9]+)"\s*,', "no key table program_keys[] of {\"key\", ...}")


def pgsup_keys(root):
    return code_list(root, "src/daemon/config.c", r"\bload_pgsup\s*\([^)]*\)\s*\{(.*?)\n\}",
                     r'strcasecmp\([^,]*key[^,]*,\s*"([a-z_0-9]+)"\)',
                     "no strcasecmp(..key, \"name\") in load_pgsup()")


def header_names(root):
    """pgsup.h's functions, constants, types and struct fields."""
    path = os.path.join(root, "include/pgsup.h")
    text = strip_c_comments(open(path, encoding="utf-8").read())
    functions = re.findall(r"PGSUP_API\s+[^;(]*?\b(pgsup_\w+)\s*\(", text)
    constants = sorted(set(re.findall(r"\b(PGSUP_[A-Z0-9_]+)\b", text)) - {"PGSUP_API", "PGSUP_H"})
    types = sorted(set(re.findall(r"\btypedef\b[^;]*?\b(pgsup_\w+)\s*[;(]", text)))
    fields = []
    for body in re.findall(r"typedef\s+struct\s+pgsup_\w+\s*\{(.*?)\}", text, re.S):
        for decl in body.split(";"):
            parts = [p.strip() for p in decl.strip().split(",") if p.strip()]
            if not parts:
                continue
            first = re.search(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", parts[0])
            if first:
                fields.append(first.group(1))
            fields += [re.sub(r"^[\s*]*(\w+).*", r"\1", p) for p in parts[1:]]
    if not functions or not types or not fields:
        raise SourceError(f"{path}: found no PGSUP_API functions, typedefs or struct fields")
    return functions, constants, types, fields


# ---- what the documents say -------------------------------------------------------------

ALTERNATING = {"BR", "BI", "IB", "IR", "RB", "RI"}


def roff_unescape(s):
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", s)         # font changes
    s = re.sub(r"\\\*(\(..|\[[^\]]*\]|.)", "'", s)       # strings (scdoc's \*(Aq)
    s = s.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\").replace("\\\\", "\\")
    s = s.replace("\\ ", " ").replace("\\|", "").replace("\\^", "").replace("\\(aq", "'")
    s = s.replace("\\(dq", '"')
    return re.sub(r"\\(\(..|\[[^\]]*\])", " ", s)        # other special characters


def roff_args(line):
    return [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', line)]


def man_sections(path):
    """[(level, title, text)] of a roff page: .SH is level 1, .SS level 2."""
    sections = [(0, "", [])]
    for raw in open(path, encoding="utf-8").read().splitlines():
        if raw.startswith(('.\\"', "'\\\"")):
            continue
        if raw.startswith((".", "'")):
            m = re.match(r"^[.']\s*(\S+)\s*(.*)$", raw)
            if not m:
                continue
            macro, rest = m.group(1), m.group(2)
            args = roff_args(rest)
            if macro in ("SH", "SS"):
                sections.append((1 if macro == "SH" else 2, roff_unescape(" ".join(args)), []))
                continue
            if macro in ("B", "I", "SM", "SB"):
                text = " ".join(args)
            elif macro in ALTERNATING:
                text = "".join(args)
            else:
                continue
        else:
            text = raw
        sections[-1][2].append(roff_unescape(text))
    return [(lvl, title, "\n".join(lines)) for lvl, title, lines in sections]


def markdown_sections(path):
    sections = [(0, "", [])]
    fence = False
    for line in open(path, encoding="utf-8").read().splitlines():
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            sections.append((len(m.group(1)), m.group(2).replace("`", ""), []))
        else:
            sections[-1][2].append(line)
    return [(lvl, title, "\n".join(lines)) for lvl, title, lines in sections]


def section_text(sections, title_re):
    """The text under the first heading matching title_re, its subsections included; None if
    no heading matches."""
    for i, (lvl, title, text) in enumerate(sections):
        if lvl and re.search(title_re, title):
            parts = [title, text]
            for lvl2, title2, text2 in sections[i + 1:]:
                if lvl2 <= lvl:
                    break
                parts += [title2, text2]
            return "\n".join(parts)
    return None


def whole(sections):
    return "\n".join(t + "\n" + x for _, t, x in sections)


def mentions(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


# ---- the check ------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pgsup", required=True)
    ap.add_argument("--man-dir", required=True, help="the installed man directory (…/share/man)")
    ap.add_argument("--readme", required=True)
    ap.add_argument("--source-root", required=True)
    a = ap.parse_args()

    missing = []

    def need(doc, where, text, words, what):
        if text is None:
            missing.append(f"{doc}: no section titled like {where!r} (for the {what})")
            return
        for w in words:
            if not mentions(text, w):
                missing.append(f"{doc}: {what} {w!r} is not documented under {where!r}")

    try:
        subs = subcommands(a.pgsup)
        top = top_options(a.pgsup)
        opts = {s: sub_options(a.pgsup, s) for s in subs}
        requests = ctl_requests(a.pgsup) if "ctl" in subs else []
        pkeys = program_keys(a.source_root)
        gkeys = pgsup_keys(a.source_root)
        functions, constants, types, fields = header_names(a.source_root)
    except (SourceError, OSError, subprocess.SubprocessError) as e:
        print(f"doc-coverage: cannot read what must be documented: {e}")
        return 2

    pages = {}
    for name, sub in (("pgsup.1", "man1"), ("pgsup.conf.5", "man5"), ("libpgsup.3", "man3")):
        path = os.path.join(a.man_dir, sub, name)
        if not os.path.isfile(path):
            missing.append(f"{path}: not installed")
            pages[name] = []
        else:
            pages[name] = man_sections(path)
    readme = markdown_sections(a.readme)

    for doc, secs in (("pgsup(1)", pages["pgsup.1"]), ("README", readme)):
        need(doc, "(anywhere)", whole(secs), top, "option of pgsup")
        for s in subs:
            where = f"pgsup {s}"
            text = section_text(secs, r"(?<![\w-])pgsup " + re.escape(s) + r"(?![\w-])")
            need(doc, where, text, opts[s], f"option of pgsup {s}")
            if s == "ctl":
                need(doc, where, text, requests, "request of pgsup ctl")
    for doc, secs in (("pgsup.conf(5)", pages["pgsup.conf.5"]), ("README", readme)):
        need(doc, "[program:NAME]", section_text(secs, r"\[program:"), pkeys, "[program:x] key")
        need(doc, "[pgsup]", section_text(secs, r"\[pgsup\]"), gkeys, "[pgsup] key")
    lib = whole(pages["libpgsup.3"])
    need("libpgsup(3)", "(anywhere)", lib, functions, "function")
    need("libpgsup(3)", "(anywhere)", lib, constants, "constant")
    need("libpgsup(3)", "(anywhere)", lib, types, "type")
    need("libpgsup(3)", "(anywhere)", lib, fields, "struct field")
    for f in functions:
        if not os.path.exists(os.path.join(a.man_dir, "man3", f + ".3")):
            missing.append(f"man3/{f}.3: not installed (add {f} to the list in man/meson.build)")

    for m in missing:
        print(f"doc-coverage: FAIL: {m}")
    counts = (f"{len(subs)} subcommands, {len(top) + sum(map(len, opts.values()))} options, "
              f"{len(requests)} ctl requests, {len(pkeys) + len(gkeys)} config keys, "
              f"{len(functions)} functions, {len(constants) + len(types) + len(fields)} "
              "other public names")
    if missing:
        print(f"doc-coverage: {len(missing)} undocumented ({counts})")
        return 1
    print(f"doc-coverage: ok: {counts} documented in the man pages and the README")
    return 0


if __name__ == "__main__":
    sys.exit(main())
