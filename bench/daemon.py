#!/usr/bin/env python3
# bench/daemon.py PGSUP [-j JOBS] [-w WINDOW_S] [-s SETTLE_S] [-r ROUNDS] [--stop term|ctl] —
# the daemon with JOBS idle jobs against supervisord (Debian package `supervisor`) with the
# same jobs, both in this one run; bench/run drives it (part 6).
#
# The jobs: JOBS x `command=sleep 100000` (the same argv for both), autostart, autorestart,
# startsecs=1 (supervisord's default, set explicitly for both), stopsignal TERM, stop as a
# group, and stdout and stderr to a log file each in a temporary directory: a log file per
# stream is what a real job has, and it costs both supervisors the same (an open file and a
# pipe per stream); /dev/null would let pgsup skip its pipes and supervisord would keep its own.
#
# For each supervisor, in a session of its own (so that cleanup finds everything it started by
# that session id, never by name):
#   start      the daemon, in the foreground, with its own socket, state and logs in the
#              temporary directory; time until its log says every job is RUNNING (so the
#              measure does not ask the supervisor anything); then the CPU it used so far
#              (schedstat's ns: utime+stime, sampled at the tick, misses most of the helpers'
#              short bursts, so it is shown too but not quoted);
#   idle       after SETTLE_S, over WINDOW_S: CPU (schedstat, and utime+stime) and
#              wakeups (voluntary + involuntary context switches, every thread), of the
#              supervisor process alone and of all its processes: for pgsup the daemon plus,
#              per job, the `pgsup run --control-fd` helper that supervises it (libpgsup starts
#              one per run; a real cost, counted; before issue 12 each was two processes, a guard
#              and an engine, and both are counted if a binary still makes them). The jobs
#              themselves are the same `sleep` for both and are not counted;
#   memory     after the window: RSS and PSS (/proc/PID/smaps_rollup) of the supervisor process
#              and the sums over all its processes; page tables (VmPTE); PSS + page tables, the
#              memory the goal compares; and per helper process: PSS, private dirty, page
#              tables (means);
#   stop       SIGTERM to the supervisor (--stop ctl: `pgsup ctl stop all` and `supervisorctl
#              stop all`, then SIGTERM): time until every job is reaped (by the recorded pids
#              and start times) and until the supervisor exited; the CPU of the supervisor and
#              everything it reaped, from its zombie; then no job, no helper and nothing of its
#              session may be left.
# ROUNDS > 1 alternates which supervisor goes first and reports medians.
#
# supervisord is installed with apt-get when missing (as root). Debian's package starts a
# system supervisord of its own on install where init scripts may run: that one is not ours, is
# left alone and is not counted. Nothing here reads stdin or needs a terminal.
#
# Output: the table, then "row: " lines for bench/run's README table. Exit 1 on failure (a job
# not started, a survivor), after cleaning up.
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HZ = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class BenchError(Exception):
    pass


# --- /proc ---------------------------------------------------------------------------------

def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def stat(pid):
    """The fields of /proc/PID/stat after the command name, or None if gone."""
    try:
        s = read(f"/proc/{pid}/stat")
    except (FileNotFoundError, ProcessLookupError):
        return None
    f = s[s.rindex(")") + 2:].split()
    return {"state": f[0], "ppid": int(f[1]), "pgrp": int(f[2]), "session": int(f[3]),
            "utime": int(f[11]), "stime": int(f[12]), "cutime": int(f[13]),
            "cstime": int(f[14]), "start": int(f[19])}


def session_members(sid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat(int(name))
            if st and st["session"] == sid:
                out.append(int(name))
    return sorted(out)


def usage(pid):
    """(context switches, utime+stime ticks, schedstat ns) of every thread of pid."""
    ctxt = sched_ns = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return None
    for t in tasks:
        try:
            for line in read(f"/proc/{pid}/task/{t}/status").splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    ctxt += int(line.split()[1])
            sched_ns += int(read(f"/proc/{pid}/task/{t}/schedstat").split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended: its counts went to the process, read below
    st = stat(pid)
    if st is None:
        return None
    return ctxt, st["utime"] + st["stime"], sched_ns


def memory(pid):
    """{rss, pss, private, pte} in KiB."""
    m = {"rss": 0, "pss": 0, "private": 0, "pte": 0}
    for line in read(f"/proc/{pid}/smaps_rollup").splitlines():
        k, _, v = line.partition(":")
        if k == "Rss":
            m["rss"] = int(v.split()[0])
        elif k == "Pss":
            m["pss"] = int(v.split()[0])
        elif k in ("Private_Clean", "Private_Dirty"):
            m["private"] += int(v.split()[0])
    for line in read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmPTE:"):
            m["pte"] = int(line.split()[1])
    return m


def meminfo():
    """{field: KiB} of /proc/meminfo."""
    m = {}
    for line in read("/proc/meminfo").splitlines():
        k, _, v = line.partition(":")
        m[k] = int(v.split()[0])
    return m


def kernel_kib(m):
    return m["PageTables"] + m["KernelStack"] + m["Slab"]


def host_busy_s():
    """CPU time the whole host used so far (user nice system irq softirq steal), seconds."""
    f = read("/proc/stat").splitlines()[0].split()[1:]
    return sum(int(x) for x in f[0:3] + f[5:8]) / HZ


def alive(pid, start):
    """pid still names the process that had this start time (a zombie counts: not reaped)."""
    st = stat(pid)
    return st is not None and st["start"] == start


def system_supervisords(ours):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in ours:
            continue
        try:
            cmd = read(f"/proc/{name}/cmdline").split("\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(os.path.basename(a) == "supervisord" for a in cmd[:2]):
            out.append((int(name), " ".join(cmd).strip()))
    return out


# --- the two supervisors -------------------------------------------------------------------

def program_sections(dir, jobs):
    """The jobs, as [program:x] sections: one text for both supervisors, so that they run
    the very same jobs."""
    return "".join(f"\n[program:j{i}]\ncommand = sleep 100000\nautostart = true\n"
                   f"autorestart = true\nstartsecs = 1\nstopsignal = TERM\n"
                   f"stopasgroup = true\nkillasgroup = true\n"
                   f"stdout_logfile = {dir}/logs/j{i}.out\n"
                   f"stderr_logfile = {dir}/logs/j{i}.err\n" for i in range(jobs))


class Supervisor:
    """One supervisor with JOBS jobs in DIR: started in its own session, measured, stopped."""

    name = "?"

    def __init__(self, dir, jobs):
        self.dir = dir
        self.jobs = jobs
        self.proc = None
        self.log = None
        os.makedirs(f"{dir}/logs")

    def launch(self, argv):
        self.log = open(f"{self.dir}/stderr.log", "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=self.dir)
        self.pid = self.proc.pid

    def running_count(self):
        raise NotImplementedError

    def classify(self):
        """{'jobs': [pids], 'helpers': [pids]} from the process tree under the supervisor."""
        raise NotImplementedError

    def confirm(self, jobs):
        """Asks the supervisor: every job RUNNING with the pid found in the tree."""
        raise NotImplementedError

    def cleanup(self):
        """Everything of the session goes, whatever happened: TERM to the supervisor, a few
        seconds, then KILL to each process left in its session (by pid)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        for _ in range(50):
            left = session_members(self.pid)
            if not left:
                break
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Pgsup(Supervisor):
    name = "pgsup"

    def __init__(self, dir, jobs, pgsup):
        super().__init__(dir, jobs)
        self.pgsup = pgsup
        self.socket = f"{dir}/pgsup.sock"
        self.conf = f"{dir}/pgsup.conf"
        with open(self.conf, "w") as f:
            f.write(f"[pgsup]\nsocket = {self.socket}\nstate = {dir}/pgsup.state\n")
            f.write(program_sections(dir, jobs))

    def start(self):
        self.launch([self.pgsup, "daemon", "-c", self.conf])

    def running_count(self):
        return read(f"{self.dir}/stderr.log").count("' running (up for ")

    def classify(self):
        # daemon -> helper (one per run) -> the job; a binary from before issue 12:
        # daemon -> guard -> engine -> the job
        kids = {}
        cmd = {}
        for p in session_members(self.pid):
            st = stat(p)
            if st:
                kids.setdefault(st["ppid"], []).append(p)
                try:
                    cmd[p] = read(f"/proc/{p}/cmdline").split("\0")
                except (FileNotFoundError, ProcessLookupError):
                    cmd[p] = []

        def is_pgsup(p):
            return len(cmd.get(p, [])) > 1 and cmd[p][0] == self.pgsup and cmd[p][1] == "run"

        tops = kids.get(self.pid, [])
        seconds = [e for g in tops for e in kids.get(g, []) if is_pgsup(e)]
        engines = seconds if seconds else tops
        guards = tops if seconds else []
        jobs = [j for e in engines for j in kids.get(e, [])]
        return {"jobs": jobs, "helpers": guards + engines, "guards": guards,
                "engines": engines}

    def stop_all(self):
        return subprocess.Popen([self.pgsup, "ctl", "-s", self.socket, "stop", "all"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def confirm(self, jobs):
        out = subprocess.run([self.pgsup, "ctl", "-s", self.socket, "status", "--json"],
                             stdin=subprocess.DEVNULL, capture_output=True, check=True).stdout
        st = json.loads(out)["jobs"]
        bad = [j["name"] for j in st if j["state"] != "RUNNING"]
        if bad:
            raise BenchError(f"pgsup: {len(bad)} jobs not RUNNING, e.g. {bad[:3]}")
        if sorted(j["pid"] for j in st) != sorted(jobs):
            raise BenchError("pgsup: the job pids of `ctl status` differ from the tree's")


class Supervisord(Supervisor):
    name = "supervisord"

    def __init__(self, dir, jobs):
        super().__init__(dir, jobs)
        self.conf = f"{dir}/supervisord.conf"
        with open(self.conf, "w") as f:
            f.write(f"[supervisord]\nnodaemon = true\nlogfile = {dir}/supervisord.log\n"
                    f"pidfile = {dir}/supervisord.pid\nchildlogdir = {dir}/logs\n"
                    f"minfds = {jobs * 6 + 64}\nloglevel = info\n\n"
                    f"[unix_http_server]\nfile = {dir}/supervisor.sock\nchmod = 0600\n\n"
                    "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                    "supervisor.rpcinterface:make_main_rpcinterface\n\n"
                    f"[supervisorctl]\nserverurl = unix://{dir}/supervisor.sock\n")
            f.write(program_sections(dir, jobs))

    def start(self):
        self.launch(["supervisord", "-n", "-c", self.conf])

    def running_count(self):
        try:
            return read(f"{self.dir}/supervisord.log").count(" entered RUNNING state")
        except FileNotFoundError:
            return 0

    def classify(self):
        jobs = [p for p in session_members(self.pid)
                if p != self.pid and stat(p) and stat(p)["ppid"] == self.pid]
        return {"jobs": jobs, "helpers": []}

    def stop_all(self):
        return subprocess.Popen(["supervisorctl", "-c", self.conf, "stop", "all"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def confirm(self, jobs):
        r = subprocess.run(["supervisorctl", "-c", self.conf, "status"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        pids = [int(m.group(1)) for m in re.finditer(r"RUNNING\s+pid (\d+),", r.stdout)]
        if len(pids) != self.jobs:
            raise BenchError(f"supervisord: {len(pids)} of {self.jobs} jobs RUNNING")
        if sorted(pids) != sorted(jobs):
            raise BenchError("supervisord: the job pids of supervisorctl differ from the tree's")


# --- one measurement -----------------------------------------------------------------------

def total(snap, pids):
    return tuple(sum(snap[p][i] for p in pids) for i in range(3))


def snapshot(pids):
    snap = {}
    for p in pids:
        u = usage(p)
        if u is None:
            raise BenchError(f"process {p} ended while idle")
        snap[p] = u
    return snap


def measure(sup, args):
    r = {}
    jobs = args.jobs
    mem0 = meminfo()
    t0 = time.monotonic()
    sup.start()
    limit = 60 + jobs * 0.1
    while sup.running_count() < jobs:
        if sup.proc.poll() is not None:
            raise BenchError(f"{sup.name} exited ({sup.proc.returncode}) while starting; "
                             f"see {sup.dir}")
        if time.monotonic() - t0 > limit:
            raise BenchError(f"{sup.name}: {sup.running_count()} of {jobs} jobs RUNNING "
                             f"after {limit:.0f} s")
        time.sleep(0.02)
    r["start_s"] = time.monotonic() - t0
    tree = sup.classify()
    allp = [sup.pid] + tree["helpers"]
    start_use = snapshot(allp)
    r["start_cpu_sup_s"] = start_use[sup.pid][1] / HZ
    r["start_cpu_all_s"] = total(start_use, allp)[1] / HZ
    r["start_sched_all_s"] = total(start_use, allp)[2] / 1e9
    if len(tree["jobs"]) != jobs:
        raise BenchError(f"{sup.name}: {len(tree['jobs'])} jobs in the tree, not {jobs}")
    sup.confirm(tree["jobs"])
    if isinstance(sup, Pgsup) and (len(tree["guards"]) not in (0, jobs) or
                                   len(tree["engines"]) != jobs):
        raise BenchError(f"pgsup: {len(tree['guards'])} guards, {len(tree['engines'])} helpers "
                         f"for {jobs} jobs")
    others = set(session_members(sup.pid)) - set(allp) - set(tree["jobs"])
    if others:
        raise BenchError(f"{sup.name}: unexpected processes in the session: {sorted(others)}")
    r["helpers"] = len(tree["helpers"])
    starts = {p: stat(p)["start"] for p in tree["jobs"] + tree["helpers"]}

    time.sleep(args.settle)
    a = snapshot(allp)
    t_a = time.monotonic()
    time.sleep(args.window)
    b = snapshot(allp)
    window = time.monotonic() - t_a
    d = {p: tuple(b[p][i] - a[p][i] for i in range(3)) for p in allp}
    r["window_s"] = window
    r["wake_sup"] = d[sup.pid][0]
    r["wake_all"] = sum(d[p][0] for p in allp)
    r["cpu_sup_ms"] = d[sup.pid][1] * 1000 / HZ
    r["cpu_all_ms"] = sum(d[p][1] for p in allp) * 1000 / HZ
    r["sched_sup_us"] = d[sup.pid][2] / 1000
    r["sched_all_us"] = sum(d[p][2] for p in allp) / 1000
    r["wakers"] = sorted(((d[p][0], p) for p in allp if d[p][0] > 0), reverse=True)
    if isinstance(sup, Pgsup):
        for kind in ("guards", "engines"):
            r[f"wake_{kind}"] = sum(d[p][0] for p in tree[kind])
            r[f"woke_{kind}"] = sum(1 for p in tree[kind] if d[p][0] > 0)

    mem = {p: memory(p) for p in allp}
    r["rss_sup"] = mem[sup.pid]["rss"]
    r["pss_sup"] = mem[sup.pid]["pss"]
    r["rss_all"] = sum(m["rss"] for m in mem.values())
    r["pss_all"] = sum(m["pss"] for m in mem.values())
    r["private_all"] = sum(m["private"] for m in mem.values())
    r["pte_all"] = sum(m["pte"] for m in mem.values())
    r["pss_pte_all"] = r["pss_all"] + r["pte_all"]
    helpers = tree["helpers"]
    r["per_helper"] = len(helpers) / jobs
    for k in ("pss", "private", "pte"):
        r[f"helper_{k}"] = (sum(mem[p][k] for p in helpers) / len(helpers)) if helpers else 0
    mem1 = meminfo()
    r["sys_kernel"] = kernel_kib(mem1) - kernel_kib(mem0)

    # Stop: SIGTERM, the way a service manager or a container runtime stops either; or (--stop
    # ctl) `stop all` through the control socket, then SIGTERM. Its CPU: what the supervisor,
    # its helpers and the jobs used from here to the supervisor's exit, read from the
    # supervisor's zombie (its children's times include those of everything they reaped).
    before = 0
    for p in [sup.pid] + tree["helpers"] + tree["jobs"]:
        st = stat(p)
        if st is None:
            raise BenchError(f"{sup.name}: process {p} ended before the stop")
        before += st["utime"] + st["stime"] + (st["cutime"] + st["cstime"] if p == sup.pid else 0)
    busy0 = host_busy_s()
    t0 = time.monotonic()
    ctl = None
    if args.stop == "ctl":
        ctl = sup.stop_all()
    else:
        sup.proc.send_signal(signal.SIGTERM)
    left = list(tree["jobs"])
    limit = 60 + jobs * (1.0 if args.stop == "term" else 0.1)
    while True:
        left = [p for p in left if alive(p, starts[p])]
        if not left:
            break
        if time.monotonic() - t0 > limit:
            raise BenchError(f"{sup.name}: {len(left)} jobs left {limit:.0f} s after the stop")
        time.sleep(0.01)
    r["gone_s"] = time.monotonic() - t0
    if ctl is not None and ctl.wait(timeout=60) != 0:
        raise BenchError(f"{sup.name}: `stop all` failed ({ctl.returncode})")
    t0 = time.monotonic()
    if args.stop == "ctl":
        sup.proc.send_signal(signal.SIGTERM)
    # Waited for without reaping (WNOWAIT): the zombie's /proc/PID/stat is read below.
    while os.waitid(os.P_PID, sup.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        if time.monotonic() - t0 > 60:
            raise BenchError(f"{sup.name}: not exited 60 s after SIGTERM")
        time.sleep(0.01)
    r["exit_s"] = time.monotonic() - t0 + (r["gone_s"] if args.stop == "term" else 0)
    r["stop_host_s"] = host_busy_s() - busy0
    st = stat(sup.pid)
    r["stop_cpu_s"] = (st["utime"] + st["stime"] + st["cutime"] + st["cstime"] - before) / HZ
    sup.proc.wait()
    r["status"] = sup.proc.returncode
    survivors = [p for p, s in starts.items() if alive(p, s)] + session_members(sup.pid)
    r["survivors"] = len(set(survivors))
    if survivors:
        raise BenchError(f"{sup.name}: processes survived the stop: {sorted(set(survivors))}")
    if sup.proc.returncode != 0:
        raise BenchError(f"{sup.name} exited with status {sup.proc.returncode}; see {sup.dir}")
    return r


# --- report --------------------------------------------------------------------------------

def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def ratio(a, b):
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.2f}x" if a == 0 or a / b >= 0.01 else f"{a / b:.4f}x"


def report(res, args):
    def med(side, key):
        vals = [r[key] for r in res[side]]
        return statistics.median(vals)

    n = args.jobs
    w = args.window
    helpers = res["pgsup"][0]["helpers"]
    if args.stop == "ctl":
        stop_label = "`stop all` (ctl/supervisorctl) to every job reaped"
        exit_label = "then SIGTERM to the supervisor exited"
    else:
        stop_label = "SIGTERM to every job reaped"
        exit_label = "SIGTERM to the supervisor exited"
    lines = [
        # label, key, format, in the README table
        (f"start to all {n:,} RUNNING (startsecs=1)", "start_s", lambda v: f"{v:.2f} s", True),
        ("CPU until all RUNNING, supervisor process", "start_cpu_sup_s",
         lambda v: f"{v:.2f} s", False),
        ("CPU until all RUNNING, all its processes (utime+stime)", "start_cpu_all_s",
         lambda v: f"{v:.2f} s", False),
        ("CPU until all RUNNING, all its processes (schedstat)", "start_sched_all_s",
         lambda v: f"{v:.2f} s", True),
        ("RSS, supervisor process", "rss_sup", mib, True),
        ("PSS, supervisor process", "pss_sup", mib, False),
        (f"PSS, all its processes (pgsup: 1 + {helpers:,})", "pss_all", mib, True),
        ("RSS summed over all its processes", "rss_all", mib, False),
        ("private (unshared) memory, all", "private_all", mib, False),
        ("page tables (VmPTE), all", "pte_all", mib, False),
        ("PSS + page tables, all its processes", "pss_pte_all", mib, True),
        ("helper processes per job", "per_helper", lambda v: f"{v:g}", True),
        ("one helper process: PSS (mean)", "helper_pss", lambda v: f"{v:.1f} KiB", False),
        ("one helper process: private dirty+clean (mean)", "helper_private",
         lambda v: f"{v:.1f} KiB", False),
        ("one helper process: page tables (mean)", "helper_pte", lambda v: f"{v:.1f} KiB",
         False),
        ("kernel memory Δ, system-wide, jobs too (meminfo)", "sys_kernel", mib, False),
        (f"idle wakeups in {w:g} s, supervisor process", "wake_sup", lambda v: f"{v:g}", True),
        (f"idle wakeups in {w:g} s, all its processes", "wake_all", lambda v: f"{v:g}", True),
        (f"idle CPU in {w:g} s, supervisor process (utime+stime)", "cpu_sup_ms",
         lambda v: f"{v:g} ms", False),
        (f"idle CPU in {w:g} s, all its processes (utime+stime)", "cpu_all_ms",
         lambda v: f"{v:g} ms", False),
        (f"idle CPU in {w:g} s, all its processes (schedstat)", "sched_all_us",
         lambda v: f"{v / 1000:.1f} ms", True),
        (stop_label, "gone_s", lambda v: f"{v:.2f} s", True),
        (exit_label, "exit_s", lambda v: f"{v:.2f} s", False),
        ("CPU to stop: supervisor, helpers, jobs (utime+stime, reaped)", "stop_cpu_s",
         lambda v: f"{v:.2f} s", True),
        ("CPU of the whole host during the stop (/proc/stat)", "stop_host_s",
         lambda v: f"{v:.2f} s", False),
    ]
    rounds = len(res["pgsup"])
    how = f"median of {rounds} rounds" if rounds > 1 else "1 round"
    print(f"{n:,} idle jobs (`sleep 100000`, logs to files), idle window {w:g} s after "
          f"{args.settle:g} s; {how}")
    print(f"  {'':58s} {'pgsup':>12s} {'supervisord':>12s} {'ratio':>9s}")
    rows = []
    for label, key, fmt, readme in lines:
        p, s = med("pgsup", key), med("supervisord", key)
        print(f"  {label:58s} {fmt(p):>12s} {fmt(s):>12s} {ratio(p, s):>9s}")
        if readme:
            target = "info"
            if key.startswith("wake"):
                target = "0 from pgsup: " + ("met" if p == 0 else "NOT met")
            goal = {"pss_pte_all": 1.0, "start_s": 0.05, "gone_s": 1.0}.get(key)
            if goal is not None and s > 0:
                target = f"<= {goal:g}x: " + ("met" if p / s <= goal else "NOT met")
            if key == "per_helper":
                target = "1: " + ("met" if p == 1 else "NOT met")
            rows.append(f"row: | {n:,} idle jobs vs supervisord: {label} | {fmt(p)} | "
                        f"{fmt(s)} | {ratio(p, s)} | {target} |")
    last = res["pgsup"][-1]
    print(f"  pgsup's wakeups by process (last round): daemon {last['wake_sup']}, "
          f"{last['woke_guards']} guards ({last['wake_guards']}), "
          f"{last['woke_engines']} of {n} helpers ({last['wake_engines']})")
    for side in ("pgsup", "supervisord"):
        wk = res[side][-1]["wakers"]
        if wk:
            print(f"  {side}: processes that woke (last round, wakeups pid): "
                  + ", ".join(f"{c} {p}" for c, p in wk[:8]) + (" …" if len(wk) > 8 else ""))
    print("  after each stop: no job, helper or session member left; both exited 0")
    for row in rows:
        print(row)


def main():
    ap = argparse.ArgumentParser(description="pgsup daemon vs supervisord, JOBS idle jobs")
    ap.add_argument("pgsup")
    ap.add_argument("-j", "--jobs", type=int, default=1000)
    ap.add_argument("-w", "--window", type=float, default=10.0)
    ap.add_argument("-s", "--settle", type=float, default=2.0)
    ap.add_argument("-r", "--rounds", type=int, default=1)
    ap.add_argument("--stop", choices=("term", "ctl"), default="term")
    args = ap.parse_args()
    pgsup = os.path.abspath(args.pgsup)

    if not shutil.which("supervisord"):
        if os.geteuid() != 0:
            print("bench-daemon: supervisord is missing; install the Debian package "
                  "'supervisor' (as root: apt-get install supervisor)", file=sys.stderr)
            return 1
        print("(installing supervisor with apt-get)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "supervisor"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       env=env, check=True)
    version = subprocess.run(["supervisord", "--version"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL).stdout.strip()
    for pid, cmd in system_supervisords(set()):
        print(f"(a supervisord that is not ours is running, pid {pid}: '{cmd}'; "
              "left alone, not counted)")
    print(f"pgsup daemon vs supervisord {version}, {args.jobs:,} jobs", flush=True)

    base = tempfile.mkdtemp(prefix="pgsup-dbench.")
    current = None

    def on_signal(sig, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    res = {"pgsup": [], "supervisord": []}
    status = 1
    try:
        for rnd in range(args.rounds):
            order = ["pgsup", "supervisord"] if rnd % 2 == 0 else ["supervisord", "pgsup"]
            for side in order:
                dir = f"{base}/{side}.{rnd}"
                current = (Pgsup(dir, args.jobs, pgsup) if side == "pgsup"
                           else Supervisord(dir, args.jobs))
                r = measure(current, args)
                current.cleanup()
                current = None
                print(f"  round {rnd + 1}, {side}: all RUNNING in {r['start_s']:.2f} s, "
                      f"idle wakeups {r['wake_sup']} (all {r['wake_all']}), stopped in "
                      f"{r['exit_s']:.2f} s", flush=True)
                res[side].append(r)
        report(res, args)
        status = 0
    except BenchError as e:
        print(f"bench-daemon: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        print("bench-daemon: interrupted", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if current is not None:
            current.cleanup()
        if status == 0 or not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"bench-daemon: kept {base} (BENCH_KEEP)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
