# SPDX-License-Identifier: GPL-2.0-only
"""An agent whose RLIMIT_NOFILE is too small for every file it reads: the rest
are held by threads with a descriptor table of their own, read each cycle,
and closed on that table when their cgroup goes. The agents here read every
file (--collect.source=files): the cgroup iterator would leave them too few
files per cgroup to need a second table."""
import json
import os
import time

from conftest import BUSY, parse_metrics, series, wait_for

NOFILE = 1100		# the agent keeps 512 for the server: 588 for files


def table_threads(pid):
    """{tid: open descriptors} of the agent's threads named cgscope-fds."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() != "cgscope-fds":
                    continue
            out[int(tid)] = len(os.listdir(f"/proc/{pid}/task/{tid}/fd"))
        except FileNotFoundError:
            pass
    return out


def test_files_past_rlimit_are_held_on_tables_of_their_own(cgtree, agent_factory):
    names = [f"g{i:03d}" for i in range(200)]
    for n in names:
        cgtree.mkdir(n)
    last = names[-1]		# claimed last, by a table of a thread of its own
    cgtree.spawn(BUSY, last)
    agent = agent_factory("--interval=200ms", "--no-bpf", "--collect.source=files", nofile=NOFILE)

    def ready():
        m = parse_metrics(agent.get("/metrics"))
        return m if series(m, "cgroup_cpu_usage_seconds_total", cgroup=cgtree.rel(last)) else None
    m = wait_for(ready)
    assert m, "the last cgroup's CPU was not read"
    tables = series(m, "cgscope_descriptor_tables")
    held = series(m, "cgscope_files_held")
    # 201 cgroups of at least 5 files, and their directories: past one table.
    assert tables >= 2, m
    assert series(m, "cgscope_files_reopened") == 0
    assert held >= 201 * 5 and held > NOFILE - 512
    threads = table_threads(agent.proc.pid)
    assert len(threads) == tables - 1
    with_files = sum(threads.values())
    assert with_files > 100 * (tables - 1)
    assert len(os.listdir(f"/proc/{agent.proc.pid}/fd")) < NOFILE
    # Started after the drop to nobody, they inherit nothing the collection
    # thread keeps (CAP_DAC_READ_SEARCH, permitted, for container state).
    for tid in threads:
        with open(f"/proc/{agent.proc.pid}/task/{tid}/status") as f:
            caps = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
        assert caps["CapPrm"].strip() == caps["CapEff"].strip() == "0000000000000000", tid
    files = json.loads(agent.get("/api/v1/status"))["files"]
    assert files["descriptor_tables"] >= 2 and files["reopened"] == 0
    for f in ("cpu.stat", "cgroup.events", "cgroup.stat"):
        assert series(m, "cgscope_read_errors_total", file=f) == 0

    # Read every cycle, not once: the busy cgroup's CPU grows.
    u1 = series(m, "cgroup_cpu_usage_seconds_total", cgroup=cgtree.rel(last))
    time.sleep(1.0)
    m2 = parse_metrics(agent.get("/metrics"))
    assert series(m2, "cgroup_cpu_usage_seconds_total", cgroup=cgtree.rel(last)) > u1

    # The second half goes: their descriptors are closed on the tables that
    # held them, and no table keeps any of the rest's.
    for p in cgtree.procs:
        p.kill()
        p.wait()
    for n in names[100:]:
        for _ in range(50):
            try:
                cgtree.rmdir(n)
                break
            except OSError:
                time.sleep(0.1)
    gone = cgtree.rel(names[100])

    def shrunk():
        m = parse_metrics(agent.get("/metrics"))
        if series(m, "cgroup_populated", cgroup=gone) is not None:
            return None
        return m if sum(table_threads(agent.proc.pid).values()) < with_files else None
    m3 = wait_for(shrunk)
    assert m3, "the removed cgroups' descriptors were not closed"
    assert series(m3, "cgscope_files_held") <= held - 100 * 5
    assert series(m3, "cgroup_populated", cgroup=cgtree.rel(names[99])) == 0


def test_table_given_back_when_the_tree_shrinks(cgtree, agent_factory):
    """The tree shrinks and the cgroups left are those the extra table held
    (claimed last): the agent's own table has room for them again, so they
    move there, and the extra table is given back, thread and all."""
    names = [f"g{i:03d}" for i in range(200)]
    for n in names:
        cgtree.mkdir(n)
    last = names[-1]
    cgtree.spawn(BUSY, last)
    # Its own tree: other tests' cgroups coming and going on this machine
    # would move the counts compared below.
    agent = agent_factory("--interval=200ms", "--no-bpf", "--collect.source=files",
                          f"--cgroup-root={cgtree.path}",
                          nofile=NOFILE)

    def rel(name):
        return "/" + name

    def ready():
        m = parse_metrics(agent.get("/metrics"))
        return m if series(m, "cgroup_cpu_usage_seconds_total", cgroup=rel(last)) else None
    m = wait_for(ready)
    assert m, "the last cgroup's CPU was not read"
    assert series(m, "cgscope_descriptor_tables") >= 2, m
    assert table_threads(agent.proc.pid)

    # The first 180 in tree order go; the 20 left were claimed last.
    for n in names[:180]:
        cgtree.rmdir(n)
    gone = rel(names[0])

    def given_back():
        m = parse_metrics(agent.get("/metrics"))
        if series(m, "cgroup_cpu_usage_seconds_total", cgroup=gone) is not None:
            return None
        return m if series(m, "cgscope_descriptor_tables") == 1 else None
    m2 = wait_for(given_back)
    assert m2, "the extra descriptor table was kept: " + \
        str(series(parse_metrics(agent.get("/metrics")), "cgscope_descriptor_tables"))
    assert wait_for(lambda: not table_threads(agent.proc.pid)), table_threads(agent.proc.pid)
    # Every file of the 20 left is held on the agent's own table, and read.
    assert series(m2, "cgscope_files_reopened") == 0
    held = series(m2, "cgscope_files_held")
    assert held >= 21 * 5, held
    fds = len(os.listdir(f"/proc/{agent.proc.pid}/fd"))
    assert fds >= held, (fds, held)
    u1 = series(m2, "cgroup_cpu_usage_seconds_total", cgroup=rel(last))
    time.sleep(1.0)
    m3 = parse_metrics(agent.get("/metrics"))
    assert series(m3, "cgroup_cpu_usage_seconds_total", cgroup=rel(last)) > u1
    assert series(m3, "cgscope_descriptor_tables") == 1
    assert series(m3, "cgscope_files_held") == held
    files = json.loads(agent.get("/api/v1/status"))["files"]
    assert files["descriptor_tables"] == 1 and files["reopened"] == 0
