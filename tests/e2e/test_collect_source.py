# SPDX-License-Identifier: GPL-2.0-only
"""--collect.source: the cgroup iterator (BPF) against the files on this
machine's kernel, value by value, and the agent using it as it is deployed.

This host's cgroup2 tree has the core files, cpu.stat and PSI only (memory,
cpu, io and pids are bound to cgroup v1): the groups compared here are
"cgroup" and "cpu". The VM harness (tests/vm/scenarios, 11-iter-source)
compares every group on 6.1 and 6.12 with the same rules
(source_compare.py)."""
import json
import os
import subprocess
import time

import pytest

from conftest import BUSY, CGSCOPE, ROOT, SLEEP, parse_metrics, series, wait_for
from source_compare import compare, from_files, from_json, known_keys
from test_capabilities import DEPLOYMENTS, setpriv

CAP_DAC_READ_SEARCH = 2
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "cgroupfs", "linux-6.1-v2")
KNOWN = known_keys(ROOT)


def workload(cgtree):
    """Cgroups in every state the core files show: busy, sleeping, frozen,
    nested, empty. Returns {name: path below the cgroup2 root}."""
    for d in ("busy", "sleep", "frozen", "a", "a/b", "a/b/c", "empty"):
        cgtree.mkdir(*d.split("/"))
    cgtree.spawn(BUSY, "busy")
    cgtree.spawn(SLEEP, "a", "b", "c")
    cgtree.spawn(SLEEP, "sleep")
    cgtree.spawn(SLEEP, "frozen")
    with open(os.path.join(cgtree.path, "frozen", "cgroup.freeze"), "w") as f:
        f.write("1")
    events = os.path.join(cgtree.path, "frozen", "cgroup.events")
    assert wait_for(lambda: "frozen 1" in open(events).read()), open(events).read()
    time.sleep(0.3)     # some CPU time for busy
    return {d: cgtree.rel(*d.split("/")) for d in ("busy", "sleep", "frozen", "a/b/c", "empty")}


def dump(*args, **kw):
    return subprocess.run([CGSCOPE, "dump", *args], capture_output=True, text=True,
                          timeout=120, **kw)


def test_iterator_matches_the_files_for_every_cgroup(cgtree):
    """Every cgroup of the machine's cgroup2 tree: files, then the iterator
    (dump --collect.source=bpf: every group the kernel lets it read,
    unchecked), then the files again."""
    paths = workload(cgtree)
    a = from_files(cgtree.mount, KNOWN)
    r = dump("--collect.source=bpf", "--format=json")
    c = from_files(cgtree.mount, KNOWN)
    assert r.returncode == 0, r.stderr
    assert "cgroup iterator loaded" in r.stderr and "cgroup=bpf cpu=bpf" in r.stderr, r.stderr
    b = from_json(r.stdout)
    res = compare(a, b, c, ["cgroup", "cpu"], skip={("/", "cpu.stat")})
    assert not res.bad(), res.bad()
    assert res.cgroups >= 8, res.cgroups
    assert res.files_seen["cgroup"] == {"cgroup.events", "cgroup.stat", "cgroup.freeze"}
    assert res.files_seen["cpu"] == {"cpu.stat"}
    # What a broken decoder would get wrong, spelled out.
    fz = b[paths["frozen"]]
    assert fz["cgroup.events"] == {"populated": 1, "frozen": 1}
    assert fz["cgroup.freeze"] == {"": 1}
    assert b[paths["empty"]]["cgroup.events"] == {"populated": 0, "frozen": 0}
    assert b[cgtree.rel("a")]["cgroup.stat"] == {"nr_descendants": 2, "nr_dying_descendants": 0}
    busy = b[paths["busy"]]["cpu.stat"]
    assert busy["usage_usec"] > 100000, busy
    assert busy["usage_usec"] - 1 <= busy["user_usec"] + busy["system_usec"] <= busy["usage_usec"]
    # The hierarchy's root: cgroup.stat from the iterator, no cgroup.events
    # (not on the root), cpu.stat from its file (the machine's).
    assert "cgroup.events" not in b["/"] and "cgroup.stat" in b["/"]
    assert b["/"]["cpu.stat"]["usage_usec"] > busy["usage_usec"]


def test_check_sources_agrees(cgtree):
    workload(cgtree)
    r = dump("--check-sources", f"--cgroup-root={cgtree.path}")
    assert r.returncode == 0, (r.stdout, r.stderr)
    doc = json.loads(r.stdout)
    assert doc["cgroups"] == 8, doc
    assert doc["flush"] in ("css_rstat_flush", "cgroup_rstat_flush"), doc
    assert {g: v["mismatches"] for g, v in doc["groups"].items()
            if g in ("cgroup", "cpu")} == {"cgroup": 0, "cpu": 0}, doc
    assert doc["values"] > 8 * 10, doc


def status(agent):
    return json.loads(agent.get("/api/v1/status"))


def caps_of(pid):
    """{tid: (uid line, CapEff, CapPrm)} of every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            st = dict(l.split(":", 1) for l in f if ":" in l)
        out[tid] = (st["Uid"].split(), st["CapEff"].strip(), st["CapPrm"].strip())
    return out


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_agent_runs_the_iterator_as_nobody(deployment, cgtree, agent_factory):
    """auto picks the iterator here, loaded under the deployment's
    capabilities and walked every cycle by a process with none left."""
    workload(cgtree)
    # Labels are below --cgroup-root.
    paths = {d: "/" + d for d in ("busy", "frozen", "empty")}
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}",
                          wrap=setpriv(DEPLOYMENTS[deployment]()))
    st = wait_for(lambda: (lambda s: s if s["cycles"] >= 5 else None)(status(agent)))
    assert st, status(agent)
    src = st["collect_source"]
    assert src["mode"] == "auto" and "note" not in src, src
    assert src["groups"]["cgroup"] == "bpf" and src["groups"]["cpu"] == "bpf", src
    assert src["groups"]["pressure"] == "files", src
    assert src["iterator_errors"] == 0 and src["iterator_missing"] == 0, src
    # No capability in effect in any thread; none permitted but the one the
    # collection thread keeps for container state files (lib/privileges.c):
    # nothing of BPF's.
    for tid, (uid, eff, prm) in caps_of(agent.proc.pid).items():
        assert uid == ["65534"] * 4 and eff == "0" * 16, (tid, uid, eff)
        assert int(prm, 16) & ~(1 << CAP_DAC_READ_SEARCH) == 0, (tid, prm)

    def scrape():
        return parse_metrics(agent.get("/metrics"))
    m = scrape()
    assert series(m, "cgscope_collect_source_info", group="cgroup", source="bpf") == 1
    assert series(m, "cgscope_collect_source_info", group="cpu", source="bpf") == 1
    assert series(m, "cgscope_collect_source_info", group="pressure", source="files") == 1
    assert series(m, "cgroup_frozen", cgroup=paths["frozen"]) == 1
    assert series(m, "cgroup_populated", cgroup=paths["empty"]) == 0
    # The walks go on after the drop: a busy cgroup's usage keeps growing,
    # and a cgroup made now is seen with its values.
    u0 = series(m, "cgroup_cpu_usage_seconds_total", cgroup=paths["busy"])
    cgtree.mkdir("late")
    cgtree.spawn(SLEEP, "late")
    m = wait_for(lambda: (lambda m: m if series(m, "cgroup_populated", cgroup="/late")
                          and series(m, "cgroup_cpu_usage_seconds_total", cgroup=paths["busy"]) > u0
                          else None)(scrape()))
    assert m, "no cycle saw the new cgroup, or usage did not grow"
    # Files held: the pressure files (and cgroup.controllers) of each cgroup,
    # none of the iterator's.
    held = series(m, "cgscope_files_held")
    assert held <= 4 * 9, held
    log = agent.stop()
    assert "cgroup iterator loaded" in log and "sources: cgroup=bpf cpu=bpf" in log, log
    assert "as uid 65534" in log


def test_files_source_reads_every_file(cgtree, agent_factory):
    workload(cgtree)
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}",
                          "--collect.source=files")
    src = wait_for(lambda: status(agent)["collect_source"])
    assert src["mode"] == "files" and set(src["groups"].values()) == {"files"}, src
    assert src["note"] == "--collect.source=files"
    m = parse_metrics(agent.get("/metrics"))
    assert series(m, "cgscope_collect_source_info", group="cpu", source="files") == 1
    assert "reading every file: --collect.source=files" in agent.stop()


def test_source_on_a_captured_tree():
    """A plain directory is no cgroup: auto reads the files, bpf refuses."""
    r = dump(f"--cgroup-root={FIXTURE}")
    assert r.returncode == 0 and "not a cgroup2 directory" in r.stderr, r.stderr
    assert "cgroup_cpu_usage_seconds_total" in r.stdout
    r = dump(f"--cgroup-root={FIXTURE}", "--collect.source=bpf")
    assert r.returncode == 1 and r.stdout == "", (r.stdout, r.stderr)
    assert "--collect.source=bpf" in r.stderr and "not a cgroup2 directory" in r.stderr
    r = dump("--collect.source=maybe")
    assert r.returncode == 2
    assert "bad --collect.source 'maybe': want auto, bpf or files" in r.stderr, r.stderr


def test_groups_switched_off_are_not_served_by_the_iterator(cgtree, agent_factory):
    workload(cgtree)
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}",
                          "--collect.cpu=false")
    src = wait_for(lambda: status(agent)["collect_source"])
    assert "cpu" not in src["groups"] and src["groups"]["cgroup"] == "bpf", src
    m = parse_metrics(agent.get("/metrics"))
    assert not [k for k in m if k[0] == "cgroup_cpu_usage_seconds_total"]
    assert series(m, "cgroup_frozen", cgroup="/frozen") == 1


def test_a_tree_that_outgrows_the_array(cgtree, agent_factory):
    """The iterator's array is sized for the tree the agent starts with (and
    1,024 more): cgroups past it go to the spill map, every one is seen with
    its values, and those removed leave it."""
    workload(cgtree)
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}")
    assert wait_for(lambda: status(agent)["cycles"] >= 2)
    cgtree.mkdir("many")
    n = 1200
    for i in range(n):
        cgtree.mkdir("many", f"g{i:04d}")
    # Frozen, the last made: past the array, in the spill map.
    last = f"g{n - 1:04d}"
    with open(os.path.join(cgtree.path, "many", last, "cgroup.freeze"), "w") as f:
        f.write("1")

    def settled():
        m = parse_metrics(agent.get("/metrics"))
        return m if (series(m, "cgscope_cgroups") == 9 + n and
                     series(m, "cgroup_frozen", cgroup=f"/many/{last}") == 1) else None
    m = wait_for(settled, timeout=30)
    assert m, status(agent)
    assert series(m, "cgroup_descendants", cgroup="/many") == n
    assert series(m, "cgroup_freeze_requested", cgroup=f"/many/{last}") == 1
    assert series(m, "cgroup_frozen", cgroup="/many/g0000") == 0
    assert series(m, "cgscope_collect_source_info", group="cgroup", source="bpf") == 1
    src = status(agent)["collect_source"]
    assert src["iterator_errors"] == 0 and src["iterator_missing"] == 0, src
    assert src["iterator_walked"] == 9 + n > src["iterator_in_place"], src
    # Half of them gone: the rest still seen, none missing.
    for i in range(0, n, 2):
        cgtree.rmdir("many", f"g{i:04d}")
    m = wait_for(lambda: (lambda m: m if series(m, "cgscope_cgroups") == 9 + n // 2 else None)(
        parse_metrics(agent.get("/metrics"))), timeout=30)
    assert m and series(m, "cgroup_descendants", cgroup="/many") == n // 2
    assert series(m, "cgroup_frozen", cgroup=f"/many/{last}") == 1
    assert status(agent)["collect_source"]["iterator_missing"] == 0


BPF_ITER_CREATE = 33


def refuse_iter_create():
    """A seccomp filter (set in the child before exec) under which bpf()
    refuses BPF_ITER_CREATE with EPERM: the iterator loads and attaches,
    and every walk fails."""
    import platform

    from test_capabilities import SECCOMP_ARCH, seccomp_filter
    arch, nr_bpf, _ = SECCOMP_ARCH[platform.machine()]

    ld, jeq, ret = 0x20, 0x15, 0x06
    insns = [
        (ld, 0, 0, 4),                  # arch
        (jeq, 0, 4, arch),              # -> allow
        (ld, 0, 0, 0),                  # syscall number
        (jeq, 0, 2, nr_bpf),            # -> allow
        (ld, 0, 0, 16),                 # bpf()'s cmd
        (jeq, 1, 0, BPF_ITER_CREATE),   # -> EPERM
        (ret, 0, 0, 0x7FFF0000),        # allow
        (ret, 0, 0, 0x00050000 | 1),    # EPERM
    ]
    return seccomp_filter(insns)


def test_walks_that_fail_fall_back_to_the_files(cgtree, agent_factory):
    """--collect.source=bpf (no check at start) and every walk refused: each
    cycle reads the files instead, three failures give the iterator up, and
    the values served are the files' all along."""
    workload(cgtree)
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}",
                          "--collect.source=bpf", preexec_fn=refuse_iter_create())
    assert wait_for(lambda: status(agent)["collect_source"]["iterator_errors"] >= 3)
    # Given up: no walk after the third.
    c0 = status(agent)["cycles"]
    assert wait_for(lambda: status(agent)["cycles"] >= c0 + 3)
    m = parse_metrics(agent.get("/metrics"))
    assert series(m, "cgscope_collect_iterator_errors_total") == 3
    assert series(m, "cgscope_collect_source_info", group="cgroup", source="files") == 1
    assert series(m, "cgscope_collect_source_info", group="cpu", source="files") == 1
    assert series(m, "cgroup_frozen", cgroup="/frozen") == 1
    assert series(m, "cgroup_populated", cgroup="/empty") == 0
    assert series(m, "cgroup_cpu_usage_seconds_total", cgroup="/busy") > 0
    src = status(agent)["collect_source"]
    assert set(src["groups"].values()) == {"files"}, src
    log = agent.stop()
    assert "the cgroup iterator failed 3 times (last: Operation not permitted): every group " \
           "is read from its files from now on" in log, log
