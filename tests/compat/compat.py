#!/usr/bin/env python3
"""compat.py: the differential suite of `pgsup timeout` against coreutils' timeout(1).

Every case runs twice, once under the installed /usr/bin/timeout and once under `pgsup timeout`,
with the same arguments, caller and command, and the two runs are compared on:

  status   how the caller saw it end: ("exit", N) or ("signal", NAME), from waitpid(2)
  stderr   the exact bytes timeout wrote (the command writes nowhere else)
  signals  per process of the command's tree (sigrec --role), the signals it received
  start    per process, what it started with: its group and session (as "timeout": the pid of
           the timeout process the caller started, "caller", "zero" or "other"), the terminal's
           foreground group (same words, or "none"), its blocked and ignored signals, its fds
  left     the processes of the tree still alive once timeout has returned
and each run's elapsed time must fall in the case's window.

The command is tests/compat/sigrec (see sigrec.c), which records what it got in a file; the
caller is `sigrec wrap --fork`, a session of its own that runs timeout as a child in its group,
the way a script does (or, with a terminal, as an interactive shell runs a job).

Coreutils is the reference, except where a case says otherwise:
  newer    Debian 12's coreutils is 9.1; where GNU coreutils changed since (up to 9.11) and
           pgsup follows the newer behaviour, the case gives the newer value and the NEWS entry
           (or the commit) that changed it. What 9.1 did is printed, not checked.
  differs  where pgsup differs on purpose (the whole tree is reached: what coreutils' timeout
           leaves behind is the defect pgsup exists to fix) or cannot do otherwise; the case
           gives pgsup's value and why.

Cases run in parallel. The last line is "N passed, M failed"; the exit status is 1 if any case
failed. Usage: compat.py --pgsup PATH --sigrec PATH [--jobs N] [--keep] [NAME...]
"""
import argparse
import concurrent.futures
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GNU = "/usr/bin/timeout"
SLACK = 10.0        # seconds a loaded CI host may add to any run: the upper bounds only
CAP = 60.0          # a run still going after this long has hung: it fails and is killed
READY_CAP = 30.0    # waiting for the command to start


def signame(num):
    if num == 0:
        return "0"
    if signal.SIGRTMIN <= num <= signal.SIGRTMAX:
        return "RTMIN+%d" % (num - signal.SIGRTMIN)
    try:
        return signal.Signals(num).name[3:]
    except ValueError:
        return str(num)


def signum(name):
    if name.startswith("RTMIN+"):
        return signal.SIGRTMIN + int(name[6:])
    return getattr(signal, "SIG" + name)


def mask(*names):
    """The /proc/PID/status hex mask of these signals (names or numbers)."""
    bits = 0
    for n in names:
        bits |= 1 << ((n if isinstance(n, int) else signum(n)) - 1)
    return "%016x" % bits


ALL = list(range(1, 65))


def all_but(*names):
    """Every signal 1..64 but these (names or numbers), as a mask."""
    skip = {n if isinstance(n, int) else signum(n) for n in names}
    return mask(*[s for s in ALL if s not in skip])


# What `sigrec wrap --ignore all` can ignore: everything but KILL, STOP, and CHLD (left alone).
IGNORED_ALL = ["KILL", "STOP", "CHLD"]


class Case:
    def __init__(self, name, args, cmd=("sigrec",), *, ctx=(), job=False, tty=False,
                 actions=(), ready=None, window=(0.0, SLACK), locale="C", stdout=None,
                 pidns=None, invoke="name", gnu_args=None, news=None, newer=None,
                 differs=None):
        self.name = name
        self.args = list(args)      # timeout's arguments (and the command, if they name one)
        # The command, when args stop before it; "TIMEOUT" stands for the timeout under test.
        self.cmd = [] if "sigrec" in args else list(cmd)
        self.ctx = list(ctx)        # sigrec wrap options: the caller's signals and fds
        self.job = job              # the caller runs timeout as an interactive shell's job
        self.tty = tty              # stdin and stdout are a terminal (a pty of the test)
        # Once ready, in order: ("kill", SIG) to timeout, ("tty", bytes) typed on the terminal,
        # ("await", WORD) a line of the caller (sigrec wrap) that starts with WORD.
        self.actions = list(actions)
        self.ready = ready if ready is not None else (1 if actions else 0)
        self.window = window        # (lo, hi) elapsed seconds, for both
        self.locale = locale
        self.stdout = stdout        # None: a file; "/dev/full"
        self.pidns = pidns          # None, "proc" (own /proc), "noproc"
        self.invoke = invoke        # "name": argv[0] "timeout"; "path": a full path
        self.gnu_args = gnu_args    # what 9.1 is given instead of args (an older spelling)
        self.news = news            # why pgsup takes args where 9.1 needs gnu_args
        self.newer = newer or {}    # {"field": value, "news": "..."}
        self.differs = differs or {}  # {"field": value, "why": "..."}
        if self.gnu_args is not None:
            assert self.news, name
        if self.newer:
            assert "news" in self.newer, name
        if self.differs:
            assert "why" in self.differs, name


def deadline(d):
    return (d, d + SLACK)


# The reference values of the newer coreutils, and why pgsup follows them.
NEWS_SHORT = ("coreutils 9.6 NEWS: timeout now supports the POSIX:2024 specified -f, and -p "
              "short options, corresponding to --foreground, and --preserve-status respectively.")
NEWS_FWD = ("coreutils 9.10 (announcement of 2026-02, NEWS): timeout now kills the command for "
            "all terminating signals (9.1 forwarded only HUP, INT, QUIT, TERM, ALRM and the -s "
            "signal, and died of the others, leaving the command running)")
NEWS_IGN = ("coreutils 9.7-9.10 (NEWS, POSIX.1-2024 timeout): signals ignored when timeout "
            "starts stay ignored in the command, but the -s signal, which is reset to its "
            "default so that the deadline can act (9.1 reset HUP, INT, QUIT and TERM too)")
NEWS_SIG0 = ("coreutils after 9.9 (commit mirrored by uutils PR 10194): --verbose names signal "
             "0 as '0', where 9.1 said 'EXIT'")

CASES = [
    # Option forms and GNU abbreviations.
    Case("opt-signal-long", ["--signal=INT", "0.3"], window=deadline(0.3)),
    Case("opt-signal-long-separate", ["--signal", "INT", "0.3"], window=deadline(0.3)),
    Case("opt-signal-abbrev", ["--sig=INT", "0.3"], window=deadline(0.3)),
    Case("opt-signal-short-joined", ["-sINT", "0.3"], window=deadline(0.3)),
    Case("opt-short-cluster", ["-vsHUP", "0.3"], window=deadline(0.3)),
    Case("opt-kill-after-abbrev", ["--kill=0.3", "-s", "0", "0.3"], window=deadline(0.6)),
    Case("opt-preserve-abbrev", ["--pres", "0.3"], window=deadline(0.3)),
    Case("opt-verbose-abbrev", ["--verb", "0.3"], window=deadline(0.3)),
    Case("opt-foreground-abbrev", ["--fore", "0.3", "sigrec", "--survive", "--sleep", "1"],
         window=deadline(1)),
    Case("opt-short-f", ["-f", "0.3", "sigrec", "--survive", "--sleep", "1"],
         gnu_args=["--foreground", "0.3", "sigrec", "--survive", "--sleep", "1"], cmd=[],
         news=NEWS_SHORT, window=deadline(1)),
    Case("opt-short-p", ["-p", "0.3"], gnu_args=["--preserve-status", "0.3"], news=NEWS_SHORT,
         window=deadline(0.3)),
    Case("opt-short-fpv-cluster", ["-fpvk0.3", "0.3", "sigrec", "--ignore", "TERM"], cmd=[],
         gnu_args=["--foreground", "--preserve-status", "-vk0.3", "0.3", "sigrec", "--ignore",
                   "TERM"], news=NEWS_SHORT, window=deadline(0.6)),
    Case("opt-double-dash", ["--", "0.3"], window=deadline(0.3)),
    Case("opt-ambiguous", ["--ver", "1", "true"]),
    Case("opt-unknown-long", ["--bogus", "1", "true"]),
    Case("opt-unknown-short", ["-x", "1", "true"]),
    Case("opt-missing-value-short", ["-k"], cmd=[]),
    Case("opt-missing-value-long", ["--signal"], cmd=[]),
    Case("opt-value-not-allowed", ["--verbose=yes", "1", "true"]),
    Case("opt-after-duration-is-command", ["1", "--version"], cmd=[]),
    Case("opt-missing-command", ["1"], cmd=[]),
    Case("opt-missing-everything", [], cmd=[]),
    Case("opt-help-to-full-device", ["--help"], cmd=[], stdout="/dev/full"),
    Case("opt-version-to-full-device", ["--version"], cmd=[], stdout="/dev/full"),

    # Durations.
    Case("dur-suffix-s", ["0.3s"], window=deadline(0.3)),
    Case("dur-suffix-m", ["0.005m"], window=deadline(0.3)),
    Case("dur-suffix-h", ["0.0001h"], window=deadline(0.36)),
    Case("dur-suffix-d", ["0.000004d"], window=deadline(0.3456)),
    Case("dur-leading-dot", [".3"], window=deadline(0.3)),
    Case("dur-hex-float", ["0x1.4p-2"], window=deadline(0.3125)),
    Case("dur-exponent", ["3e-1"], window=deadline(0.3)),
    Case("dur-leading-blank", [" 0.3"], window=deadline(0.3)),
    Case("dur-zero-disables", ["0", "sigrec", "--sleep", "0.5"], window=(0.5, SLACK)),
    Case("dur-huge", ["1e400", "sigrec", "--exit", "3"]),
    Case("dur-inf", ["inf", "sigrec", "--exit", "3"]),
    Case("dur-infinity-days", ["infinityd", "sigrec", "--exit", "3"]),
    Case("dur-underflow-is-zero", ["1e-400", "sigrec", "--sleep", "0.5"], window=(0.5, SLACK)),
    # At once: the command may be hit before it could say anything, so a silent one.
    Case("dur-denormal-is-tiny", ["1e-310", "sleep", "5"], cmd=[]),
    Case("dur-invalid-word", ["soon", "true"], cmd=[]),
    Case("dur-invalid-suffix", ["1x", "true"], cmd=[]),
    Case("dur-invalid-two-letters", ["1ms", "true"], cmd=[]),
    Case("dur-invalid-upper-suffix", ["1D", "true"], cmd=[]),
    Case("dur-invalid-trailing-blank", ["1 ", "true"], cmd=[]),
    Case("dur-invalid-empty", ["", "true"], cmd=[]),
    Case("dur-invalid-negative", ["--", "-1", "true"], cmd=[]),
    Case("dur-invalid-nan", ["nan", "true"], cmd=[]),
    Case("dur-invalid-kill-after", ["-k", "1y", "1", "true"], cmd=[]),
    Case("dur-invalid-utf8-quoted", ["sóon", "true"], cmd=[], locale="C.UTF-8"),

    # Exit statuses.
    Case("exit-0", ["5", "sigrec", "--exit", "0"]),
    Case("exit-3", ["5", "sigrec", "--exit", "3"]),
    Case("exit-255", ["5", "sigrec", "--exit", "255"]),
    Case("exit-124-deadline", ["0.3"], window=deadline(0.3)),
    Case("exit-124-deadline-then-exit-0", ["0.3", "sigrec", "--survive", "--sleep", "1"],
         window=deadline(1)),
    Case("exit-125-unknown-signal", ["-s", "NOPE", "1", "true"], cmd=[]),
    Case("exit-125-signal-32", ["-s", "32", "1", "true"], cmd=[]),
    Case("exit-126-not-executable", ["5", "@not-executable"], cmd=[]),
    Case("exit-126-directory", ["5", "."], cmd=[]),
    Case("exit-127-not-found", ["5", "pgsup-compat-no-such-command"], cmd=[]),
    Case("exit-127-not-found-utf8", ["5", "pgsup-compat-no-such-command"], cmd=[],
         locale="C.UTF-8"),
    Case("exit-137-signal-kill", ["-s", "KILL", "0.3"], window=deadline(0.3)),
    Case("exit-137-signal-exit-status", ["-s", "137", "0.3"], window=deadline(0.3)),
    Case("exit-signal-of-command", ["5", "sigrec", "--die", "USR2"]),
    Case("exit-kill-of-command", ["5", "sigrec", "--die", "KILL"]),
    Case("exit-preserve-status-term", ["--preserve-status", "0.3"], window=deadline(0.3)),
    Case("exit-preserve-status-exit", ["--preserve-status", "0.3", "sigrec", "--survive",
                                       "--sleep", "1"], window=deadline(1)),
    Case("exit-core-dumped", ["5", "sigrec", "--core", "--die", "ABRT"]),
    Case("exit-core-dumped-verbose-deadline", ["-v", "-s", "SEGV", "0.3", "sigrec", "--core"],
         window=deadline(0.3)),
    Case("exit-core-dumped-preserve", ["-p", "-s", "QUIT", "0.3", "sigrec", "--core"],
         cmd=[], gnu_args=["--preserve-status", "-s", "QUIT", "0.3", "sigrec", "--core"],
         news=NEWS_SHORT, window=deadline(0.3)),
    Case("exec-script-without-shebang", ["5", "@script", "arg"], cmd=[]),
    Case("exec-script-without-shebang-in-path", ["5", "nobang-script", "arg"], cmd=[]),
    Case("exec-empty-file", ["5", "@empty"], cmd=[]),
    Case("exec-setsid-command", ["0.3", "setsid", "sigrec"], window=deadline(0.3)),

    # -k.
    Case("kill-after-escalates", ["-k", "0.3", "0.3", "sigrec", "--ignore", "TERM"],
         window=deadline(0.6)),
    Case("kill-after-unneeded", ["-k", "5", "0.3"], window=(0.3, 5)),
    Case("kill-after-signal-0", ["-s", "0", "-k", "0.3", "0.3", "sigrec", "--survive"],
         window=deadline(0.6)),
    Case("kill-after-zero-means-never", ["-k", "0", "-s", "0", "0.3", "sigrec", "--sleep", "1"],
         window=deadline(1)),
    Case("kill-after-preserve", ["-p", "-k", "0.3", "0.3", "sigrec", "--ignore", "TERM"],
         cmd=[], gnu_args=["--preserve-status", "-k", "0.3", "0.3", "sigrec", "--ignore",
                           "TERM"], news=NEWS_SHORT, window=deadline(0.6)),
    Case("kill-after-foreground", ["--foreground", "-k", "0.3", "0.3", "sigrec", "--ignore",
                                   "TERM"], window=deadline(0.6)),
    Case("exit-137-foreground-signal-kill", ["--foreground", "-s", "KILL", "0.3"],
         window=deadline(0.3)),
    Case("kill-after-foreground-signal-0", ["--foreground", "-s0", "-k", "0.3", "0.3", "sigrec",
                                            "--survive"], window=deadline(0.6)),
    Case("kill-after-forwarded-signal", ["-k", "0.3", "30", "sigrec", "--ignore", "TERM"],
         actions=[("kill", "TERM")], window=(0.3, SLACK)),

    # Signals sent to timeout: forwarded to the command (and its group).
    Case("fwd-term", ["30"], actions=[("kill", "TERM")]),
    Case("fwd-int", ["30"], actions=[("kill", "INT")]),
    Case("fwd-hup", ["30"], actions=[("kill", "HUP")]),
    Case("fwd-quit", ["30"], actions=[("kill", "QUIT")]),
    Case("fwd-alrm-is-the-deadline", ["30"], actions=[("kill", "ALRM")]),
    Case("fwd-alrm-verbose", ["-v", "-s", "INT", "30"], actions=[("kill", "ALRM")]),
    Case("fwd-signal-option", ["-s", "URG", "30", "sigrec", "--survive", "--sleep", "1"],
         actions=[("kill", "URG")], window=(1, SLACK)),
    Case("fwd-verbose", ["-v", "30"], actions=[("kill", "HUP")]),
    Case("fwd-foreground-no-cont", ["--foreground", "-k", "0.5", "30", "sigrec", "--survive"],
         actions=[("kill", "INT")], window=(0.5, SLACK)),
    Case("fwd-group-cont", ["-k", "0.5", "30", "sigrec", "--survive"],
         actions=[("kill", "INT")], window=(0.5, SLACK)),
] + [
    Case("fwd-" + sig.lower(), (["-v"] if sig in ("USR1", "PIPE") else []) + ["30"],
         actions=[("kill", sig)],
         newer={"signals.cmd": [sig], "left": [],
                "stderr": (b"timeout: sending signal %s to command 'sigrec'\n" % sig.encode()
                           if sig in ("USR1", "PIPE") else b""),
                "news": NEWS_FWD})
    for sig in ("PIPE", "USR1", "USR2", "XCPU", "XFSZ", "VTALRM", "PROF", "IO", "PWR", "STKFLT",
                "RTMIN+0", "RTMIN+30")
] + [
    Case("fwd-ignored-by-caller", ["-v", "0.5"], ctx=["--ignore", "HUP"],
         actions=[("kill", "HUP")], window=deadline(0.5),
         newer={"status": ("exit", 124), "signals.cmd": ["TERM"],
                "stderr": b"timeout: sending signal TERM to command 'sigrec'\n",
                "start.cmd.ign": mask("HUP"), "news": NEWS_IGN}),

    # What the command starts with: the caller's ignored and blocked signals and fds.
    Case("ctx-clean", ["5", "sigrec", "--exit", "0"]),
    Case("ctx-ignore-all", ["5", "sigrec", "--exit", "0"], ctx=["--ignore", "all"],
         newer={"start.cmd.ign": all_but(*IGNORED_ALL, "ALRM", "TERM", "TTIN", "TTOU"),
                "news": NEWS_IGN}),
    Case("ctx-ignore-all-signal-usr2", ["-s", "USR2", "5", "sigrec", "--exit", "0"],
         ctx=["--ignore", "all"],
         newer={"start.cmd.ign": all_but(*IGNORED_ALL, "ALRM", "USR2", "TTIN", "TTOU"),
                "news": NEWS_IGN}),
    Case("ctx-ignore-hup-like-nohup", ["5", "sigrec", "--exit", "0"], ctx=["--ignore", "HUP"],
         newer={"start.cmd.ign": mask("HUP"), "news": NEWS_IGN}),
    Case("ctx-ignore-int-quit-like-background", ["5", "sigrec", "--exit", "0"],
         ctx=["--ignore", "INT,QUIT"],
         newer={"start.cmd.ign": mask("INT", "QUIT"), "news": NEWS_IGN}),
    Case("ctx-ignore-pipe-usr1", ["5", "sigrec", "--exit", "0"], ctx=["--ignore", "PIPE,USR1"]),
    Case("ctx-ignore-term-deadline-still-acts", ["0.3"], ctx=["--ignore", "TERM"],
         window=deadline(0.3)),
    Case("ctx-ignore-signal-option-deadline-still-acts", ["-s", "USR1", "0.3"],
         ctx=["--ignore", "USR1"], window=deadline(0.3)),
    Case("ctx-ignore-chld", ["5", "sigrec", "--exit", "7"], ctx=["--ignore", "CHLD"]),
    Case("ctx-ignore-alrm-deadline-still-acts", ["0.3"], ctx=["--ignore", "ALRM"],
         window=deadline(0.3)),
    Case("ctx-ignore-ttin-ttou", ["5", "sigrec", "--exit", "0"], ctx=["--ignore", "TTIN,TTOU"]),
    Case("ctx-ignore-glibc-32-33", ["5", "sigrec", "--exit", "0"], ctx=["--ignore", "32,33"]),
    Case("ctx-block-term-chld-alrm", ["5", "sigrec", "--exit", "0"],
         ctx=["--block", "TERM,CHLD,ALRM,USR1"]),
    Case("ctx-block-alrm-deadline", ["0.3"], ctx=["--block", "ALRM"], window=deadline(0.3)),
    Case("ctx-block-term-needs-kill", ["-k", "0.3", "0.3"], ctx=["--block", "TERM"],
         window=deadline(0.6)),
    Case("ctx-block-all-but-glibc", ["5", "sigrec", "--exit", "0"],
         ctx=["--block", ",".join(str(s) for s in ALL if s not in (32, 33))]),
    Case("ctx-block-glibc-32-33", ["5", "sigrec", "--exit", "0"], ctx=["--block", "32,33"],
         differs={"start.cmd.blk": mask(),
                  "why": "posix_spawn cannot block glibc's internal signals in the command "
                         "(glibc clears them from any mask it sets): a limitation, documented"}),
    Case("ctx-leaked-fds", ["5", "sigrec", "--exit", "0"], ctx=["--leak", "3"]),

    # Nested timeouts: each layer's signal reaches the command.
    Case("nested-alrm-then-int", ["-s", "ALRM", "30", "TIMEOUT", "-s", "INT", "25", "sigrec"],
         cmd=[], actions=[("kill", "ALRM")]),
    Case("nested-inner-deadline-first", ["5", "TIMEOUT", "0.3", "sigrec"], cmd=[],
         window=deadline(0.3)),
    Case("nested-outer-deadline", ["-v", "0.3", "TIMEOUT", "30", "sigrec"], cmd=[],
         window=deadline(0.3)),
    Case("nested-outer-usr1", ["-s", "USR1", "0.3", "TIMEOUT", "-s", "INT", "25", "sigrec"],
         cmd=[], window=deadline(0.3),
         newer={"signals.cmd": ["USR1"], "left": [], "news": NEWS_FWD}),

    # --foreground, without and with a terminal.
    Case("fg-no-tty", ["--foreground", "0.3", "sigrec", "--survive", "--sleep", "1"],
         window=deadline(1)),
    Case("fg-children-not-signalled", ["--foreground", "0.3", "sigrec", "--spawn", "child"],
         ready=2, window=deadline(0.3)),
    Case("tty-fg-ctrl-c", ["--foreground", "30"], tty=True, actions=[("tty", b"\x03")]),
    Case("tty-fg-read", ["--foreground", "5", "sigrec", "--read"], tty=True,
         actions=[("tty", b"hello\n")]),
    Case("tty-fg-job-read", ["--foreground", "5", "sigrec", "--read"], tty=True, job=True,
         actions=[("tty", b"hello\n")]),
    Case("tty-fg-job-ctrl-c", ["--foreground", "30"], tty=True, job=True,
         actions=[("tty", b"\x03")]),
    Case("tty-job-read", ["5", "sigrec", "--read"], tty=True, job=True,
         actions=[("tty", b"hello\n")]),
    Case("tty-job-ctrl-c", ["30"], tty=True, job=True, actions=[("tty", b"\x03")]),
    # Ctrl-Z stops the job, timeout included: the shell sees it stop. The command records the
    # TSTP and goes on (a SIGCONT to it could discard a TSTP it has not handled yet); timeout
    # is continued, and the deadline and KILL come as usual.
    Case("tty-job-ctrl-z", ["-k", "0.3", "1", "sigrec", "--survive"], tty=True, job=True,
         actions=[("tty", b"\x1a"), ("await", "stopped"), ("kill", "CONT")],
         window=deadline(1.3)),
    Case("tty-fg-job-ctrl-z", ["--foreground", "-k", "0.3", "1", "sigrec", "--survive"],
         tty=True, job=True, actions=[("tty", b"\x1a"), ("await", "stopped"), ("kill", "CONT")],
         window=deadline(1.3)),
    Case("tty-script-read-stops", ["0.5", "sigrec", "--read"], tty=True, window=deadline(0.5)),
    Case("tty-script-ctrl-c-not-reached", ["0.5"], tty=True, actions=[("tty", b"\x03")],
         window=deadline(0.5)),

    # --verbose: the exact text, names and quoting.
    Case("verbose-deadline", ["-v", "0.3"], window=deadline(0.3)),
    Case("verbose-kill", ["-v", "-k", "0.3", "0.3", "sigrec", "--ignore", "TERM"],
         window=deadline(0.6)),
    Case("verbose-signal-0", ["-v", "-s", "0", "-k", "0.3", "0.3", "sigrec", "--survive"],
         window=deadline(0.6),
         newer={"stderr": b"timeout: sending signal 0 to command 'sigrec'\n"
                          b"timeout: sending signal KILL to command 'sigrec'\n",
                "news": NEWS_SIG0}),
    Case("verbose-signal-names", ["-v", "-s", "IO", "-k", "0.3", "0.3", "sigrec", "--ignore",
                                  "IO"], window=deadline(0.6)),
    Case("verbose-signal-rt", ["-v", "-s", "RTMIN+16", "0.3"], window=deadline(0.3)),
    Case("verbose-signal-exit-status-form", ["-v", "-s", "130", "0.3"], window=deadline(0.3)),
    Case("verbose-utf8-quotes", ["-v", "0.3"], locale="C.UTF-8", window=deadline(0.3)),
    Case("verbose-quoting-escapes", ["-v", "0.3", "sig rec'\\"], cmd=[], window=deadline(0.3)),
    Case("verbose-quoting-escapes-utf8", ["-v", "0.3", "sig rec'\\"], cmd=[],
         locale="C.UTF-8", window=deadline(0.3)),
    Case("verbose-invoked-by-path", ["-v", "0.3"], invoke="path", window=deadline(0.3)),
    Case("usage-invoked-by-path", ["--bogus"], cmd=[], invoke="path"),

    # The tree.
    # -k: without a grace, what is left when the command has died gets KILL at once, maybe
    # before it acted on the deadline's signal (next case).
    Case("tree-group-deadline", ["-k", "5", "0.3", "sigrec", "--spawn", "child"], ready=2,
         window=(0.3, 5)),
    Case("tree-leftover-ignoring-term", ["0.3", "sigrec", "--spawn", "child:noterm"], ready=2,
         window=deadline(0.3),
         differs={"left": [],
                  "why": "once the tree is being stopped, pgsup returns only when all of it is "
                         "gone: what is left when the command has died gets KILL (at once "
                         "without -k); coreutils returns and leaves it running"}),
    Case("tree-exit-leaves-background", ["5", "sigrec", "--spawn", "child", "--exit", "0"],
         ready=2),
    # With a grace, the deadline's signal reaches the escapee before anything else does
    # (without, what is left when the command dies may get KILL at once: tests/cli).
    Case("tree-setsid-escapee-deadline", ["-k", "5", "0.3", "sigrec", "--spawn",
                                          "escapee:setsid"], ready=2, window=(0.3, 5),
         differs={"signals.escapee": ["TERM"], "left": [],
                  "why": "the deadline reaches the whole tree, processes that left the group "
                         "included: coreutils leaves them running"}),

    # PID 1 of a PID namespace.
    Case("pid1-exit", ["10", "sigrec", "--exit", "3"], pidns="proc"),
    Case("pid1-deadline", ["0.3"], pidns="proc", window=deadline(0.3)),
    Case("pid1-deadline-no-own-proc", ["0.3"], pidns="noproc", window=deadline(0.3),
         differs={"start.cmd.pgid": "other",
                  "why": "without a /proc of its namespace, pgsup cannot tell the members of a "
                         "group it is in from its tree, so PID 1 leaves the command's group "
                         "to the engine (a limitation, documented)"}),
    Case("pid1-kill-after", ["-k", "0.3", "0.3", "sigrec", "--ignore", "TERM"], pidns="proc",
         window=deadline(0.6)),
]


class Run:
    """One case under one implementation."""

    def __init__(self, case, impl, opts, work):
        self.case, self.impl, self.opts = case, impl, opts
        self.dir = tempfile.mkdtemp(prefix="%s-%s-" % (case.name, impl), dir=work)
        self.work = work
        self.problems = []

    def timeout_argv(self):
        if self.case.invoke == "path":
            return [GNU] if self.impl == "gnu" else [os.path.join(self.work, "link", "timeout")]
        return ["timeout"] if self.impl == "gnu" else [self.opts.pgsup, "timeout"]

    def argv(self):
        c = self.case
        inner = []
        args = c.gnu_args if (c.gnu_args is not None and self.impl == "gnu") else c.args
        for a in args + c.cmd:
            if a == "TIMEOUT":
                inner.append("timeout")  # by PATH: coreutils', or pgsup's link (env())
            elif a.startswith("@"):
                inner.append(os.path.join(self.work, a[1:]))
            else:
                inner.append(a)
        argv = self.timeout_argv() + inner
        if c.pidns:
            argv = ["unshare", "--pid", "--fork"] + (["--mount-proc"] if c.pidns == "proc"
                                                     else []) + argv
        return [self.opts.sigrec, "wrap"] + c.ctx + ["--fork"] + (["--job"] if c.job else []) + \
            ["--"] + argv

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
        env.pop("LANG", None)
        env["LC_ALL"] = self.case.locale
        # sigrec and the test scripts by name; /usr/bin before anything that could shadow
        # coreutils' timeout.
        # "timeout" by name is pgsup's link in pgsup's runs (nested cases).
        path = [os.path.join(self.work, "bin"), "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        if self.impl == "pgsup":
            path.insert(0, os.path.join(self.work, "link"))
        env["PATH"] = ":".join(path)
        env["SIGREC_OUT"] = os.path.join(self.dir, "record")
        env["SIGREC_READY"] = os.path.join(self.dir, "ready")
        return env

    def execute(self):
        c = self.case
        fifo = os.path.join(self.dir, "ready")
        os.mkfifo(fifo)
        # O_RDWR: writers never block on a missing reader, and we never see end of file.
        ready_fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        err = open(os.path.join(self.dir, "stderr"), "wb")
        out = open(c.stdout or os.path.join(self.dir, "stdout"), "wb")
        master = slave = None
        if c.tty:
            master, slave = os.openpty()
        start = time.monotonic()
        proc = subprocess.Popen(self.argv(), env=self.env(), cwd=self.dir,
                                stdin=slave if c.tty else subprocess.DEVNULL,
                                stdout=slave if c.tty else out, stderr=err,
                                start_new_session=True)
        if slave is not None:
            os.close(slave)
        err.close()
        out.close()
        self.wrapper = proc.pid
        self.timeout_pid = None
        lines = []
        buf = b""
        want = c.ready + 1  # "pid T" of the wrapper first
        limit = start + READY_CAP
        while len(lines) < want and time.monotonic() < limit:
            fds = [ready_fd] + ([master] if master is not None else [])
            r, _, _ = select.select(fds, [], [], 0.05)
            if master in r:
                self._drain(master)
            if ready_fd in r:
                buf += os.read(ready_fd, 4096)
                *done, buf = buf.split(b"\n")
                lines += done
        for line in lines:
            if line.startswith(b"pid "):
                self.timeout_pid = int(line.split()[1])
        if len(lines) < want:
            self.problems.append("not ready: %r" % lines)
        for kind, what in c.actions:
            if kind == "kill" and self.timeout_pid:
                os.kill(self.timeout_pid, signum(what))
            elif kind == "tty":
                os.write(master, what)
            elif kind == "await":
                buf = self._await(ready_fd, master, buf, what.encode(), start + READY_CAP)
        # Wait for the end; a terminal's output is drained meanwhile.
        limit = start + CAP
        while proc.poll() is None and time.monotonic() < limit:
            if master is not None:
                r, _, _ = select.select([master], [], [], 0.05)
                if r:
                    self._drain(master)
            else:
                try:
                    proc.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
        if proc.poll() is None:
            self.problems.append("still running after %.0f s: killed" % CAP)
            self._kill_session(proc)
        self.elapsed = time.monotonic() - start
        rc = proc.returncode
        self.status = ("exit", rc) if rc >= 0 else ("signal", signame(-rc))
        os.close(ready_fd)
        if master is not None:
            os.close(master)
        with open(os.path.join(self.dir, "stderr"), "rb") as f:
            self.stderr = f.read()
        self._read_record()
        self._sweep()

    def _await(self, ready_fd, master, buf, word, limit):
        """Reads the caller's lines until one starts with word."""
        while time.monotonic() < limit:
            fds = [ready_fd] + ([master] if master is not None else [])
            r, _, _ = select.select(fds, [], [], 0.05)
            if master in r:
                self._drain(master)
            if ready_fd in r:
                buf += os.read(ready_fd, 4096)
                *done, buf = buf.split(b"\n")
                if any(line.startswith(word) for line in done):
                    return buf
        self.problems.append("no %r from the caller" % word.decode())
        return buf

    @staticmethod
    def _drain(fd):
        try:
            os.read(fd, 4096)
        except OSError:
            pass

    def _kill_session(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        if self.case.pidns:
            for pid in self._stuck_inits(proc.pid):
                self.problems.append(
                    "PID 1 of the namespace (host pid %d) cannot finish exiting: the kernel "
                    "waits in zap_pid_ns_processes for a pid number that PID 1 itself holds "
                    "(it is in a process group numbered by another process of the namespace); "
                    "it stays until reboot" % pid)

    @staticmethod
    def _stuck_inits(sid):
        """Processes of session sid that hang in the kernel's exit of a PID namespace's init."""
        stuck = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open("/proc/%s/wchan" % name) as f:
                    wchan = f.read()
            except OSError:
                continue
            if int(fields[3]) == sid and wchan == "zap_pid_ns_processes":
                stuck.append(int(name))
        return stuck

    def _read_record(self):
        self.procs = {}     # role -> (pid, start ticks, fields)
        self.signals = {}   # role -> set of names
        path = os.path.join(self.dir, "record")
        if not os.path.exists(path):
            return
        pids = {}
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                role, pid, what = parts[0], int(parts[1]), parts[2]
                if what == "start":
                    fields = dict(p.split("=", 1) for p in parts[3:])
                    self.procs[role] = (pid, int(fields.pop("start")), fields)
                    pids[pid] = role
                    self.signals.setdefault(role, set())
                elif what == "sig":
                    name = signame(signum(parts[3]))  # one spelling: IO, not POLL
                    self.signals.setdefault(role, set()).add(name)

    def _alive(self, pid, ticks):
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
        except OSError:
            return False
        fields = stat[stat.rindex(")") + 2:].split()
        return fields[0] not in ("Z", "X") and int(fields[19]) == ticks

    @staticmethod
    def _dying(pid):
        """True if SIGKILL is pending for the process: timeout's last signal may still be on
        its way when timeout itself is gone (coreutils dies of the SIGKILL it sends)."""
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith(("SigPnd:", "ShdPnd:")) and \
                            int(line.split()[1], 16) & (1 << (signal.SIGKILL - 1)):
                        return True
        except OSError:
            pass
        return False

    def _sweep(self):
        """Notes which processes of the tree are left (alive, and not being killed), then
        kills them (by pidfd, after checking that the pid is still the recorded process)."""
        self.left = []
        if self.case.pidns:
            return  # their pids are the namespace's; the namespace died with its PID 1
        for role, (pid, ticks, _) in sorted(self.procs.items()):
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue  # gone
            if self._alive(pid, ticks):
                if not self._dying(pid):
                    self.left.append(role)
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                select.select([pidfd], [], [], 10)  # readable once it has exited
            os.close(pidfd)

    def rel(self, value):
        v = int(value)
        inside = 1 if self.case.pidns else self.timeout_pid
        if v == inside:
            return "timeout"
        if v == self.wrapper and not self.case.pidns:
            return "caller"
        return {0: "zero", -1: "none"}.get(v, "other")

    def observed(self):
        obs = {"status": self.status, "stderr": self.stderr, "left": self.left}
        for role, names in self.signals.items():
            obs["signals." + role] = sorted(names)
        for role, (_, _, fields) in self.procs.items():
            for key in ("pgid", "sid", "fg"):
                obs["start.%s.%s" % (role, key)] = self.rel(fields[key])
            for key in ("blk", "ign", "fds"):
                obs["start.%s.%s" % (role, key)] = fields[key]
        return obs


def prepare(work, opts):
    """The files some cases run: scripts, a non-executable file, links."""
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    os.symlink(opts.sigrec, os.path.join(bindir, "sigrec"))
    os.symlink(opts.sigrec, os.path.join(bindir, "sig rec'\\"))
    linkdir = os.path.join(work, "link")
    os.makedirs(linkdir)
    os.symlink(opts.pgsup, os.path.join(linkdir, "timeout"))
    script = "echo \"script: $0 $1\" >&2; exit 3\n"
    for path in (os.path.join(work, "script"), os.path.join(bindir, "nobang-script")):
        with open(path, "w") as f:
            f.write(script)
        os.chmod(path, 0o755)
    open(os.path.join(work, "empty"), "w").close()
    os.chmod(os.path.join(work, "empty"), 0o755)
    with open(os.path.join(work, "not-executable"), "w") as f:
        f.write("exit 0\n")
    os.chmod(os.path.join(work, "not-executable"), 0o644)


def normalize(run, data):
    """What a run printed, with the path it was invoked by (invoke="path") made the same."""
    if run.case.invoke == "path":
        data = data.replace(run.timeout_argv()[0].encode(), b"TIMEOUT")
    return data.replace(run.work.encode(), b"WORK")


def judge(case, gnu, pg):
    """Returns the list of problems of the case (empty: passed) and lines of information."""
    problems = ["gnu: " + p for p in gnu.problems] + ["pgsup: " + p for p in pg.problems]
    info = []
    g, p = gnu.observed(), pg.observed()
    g["stderr"], p["stderr"] = normalize(gnu, g["stderr"]), normalize(pg, p["stderr"])
    for key in sorted(set(g) | set(p) | (set(case.newer) | set(case.differs)) - {"news", "why"}):
        if key in case.newer:
            want, source = case.newer[key], "newer coreutils"
            if g.get(key) != want:
                info.append("%s: coreutils 9.1 gives %r (newer: %r)" % (key, g.get(key), want))
        elif key in case.differs:
            want, source = case.differs[key], "pgsup by design"
        else:
            want, source = g.get(key), "coreutils"
        if p.get(key) != want:
            problems.append("%s: pgsup %r, %s %r" % (key, p.get(key), source, want))
    lo, hi = case.window
    for run in ([gnu] if not case.newer else []) + [pg]:  # 9.1 may end otherwise
        if not lo <= run.elapsed <= hi:
            problems.append("%s: elapsed %.2f s, outside [%.2f, %.2f]" %
                            (run.impl, run.elapsed, lo, hi))
    return problems, info


def run_case(case, opts, work):
    runs = {}
    for impl in ("gnu", "pgsup"):
        runs[impl] = Run(case, impl, opts, work)
    # Both implementations of a case at once: they share nothing but the host.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda r: r.execute(), runs.values()))
    return judge(case, runs["gnu"], runs["pgsup"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgsup", required=True)
    ap.add_argument("--sigrec", required=True)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("names", nargs="*")
    opts = ap.parse_args()
    opts.pgsup = os.path.abspath(opts.pgsup)
    opts.sigrec = os.path.abspath(opts.sigrec)
    if not os.access(GNU, os.X_OK):
        print("compat: %s is missing: install coreutils" % GNU)
        print("0 passed, 1 failed")
        return 1
    cases = [c for c in CASES if not opts.names or c.name in opts.names]
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    work = tempfile.mkdtemp(prefix="pgsup-compat-")
    prepare(work, opts)
    passed = failed = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        futures = {pool.submit(run_case, c, opts, work): c for c in cases}
        for fut in concurrent.futures.as_completed(futures):
            case = futures[fut]
            try:
                problems, info = fut.result()
            except Exception as e:  # a bug of the harness is a failure of the case
                problems, info = ["harness: %r" % e], []
            if problems:
                failed += 1
                print("FAIL %s" % case.name)
                for line in problems:
                    print("     %s" % line)
            else:
                passed += 1
                print("ok   %s" % case.name)
            for line in info:
                print("     (%s)" % line)
            sys.stdout.flush()
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("compat: work directory kept: %s" % work)
    print("compat: %d cases in %.1f s" % (len(cases), time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
