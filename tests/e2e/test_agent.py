# SPDX-License-Identifier: GPL-2.0-only
"""The agent against this machine's real cgroup2 tree, through HTTP."""
import gzip
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BUSY, CGSCOPE, ROOT, parse_metrics, series, wait_for

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "cgroupfs")


def promtool_check(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def scrape(agent):
    return parse_metrics(agent.get("/metrics"))


def test_cgroups_appear_with_values_and_vanish(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms")
    cgtree.mkdir("busy")
    cgtree.mkdir("idle")
    cgtree.mkdir("idle", "nested")
    busy = cgtree.spawn(BUSY, "busy")
    busy_path, idle_path = cgtree.rel("busy"), cgtree.rel("idle")
    nested_path = cgtree.rel("idle", "nested")

    m = wait_for(lambda: (lambda m: m if series(m, "cgroup_populated", cgroup=busy_path) == 1 else None)(scrape(agent)))
    assert m, "the busy cgroup did not appear as populated"
    assert series(m, "cgroup_populated", cgroup=idle_path) == 0
    assert series(m, "cgroup_populated", cgroup=nested_path) == 0
    assert series(m, "cgroup_descendants", cgroup=cgtree.rel()) == 3
    assert series(m, "cgroup_descendants", cgroup=idle_path) == 1

    # CPU usage grows for the busy one, and matches its cpu.stat.
    u1 = series(m, "cgroup_cpu_usage_seconds_total", cgroup=busy_path)
    time.sleep(1.0)
    m2 = scrape(agent)
    u2 = series(m2, "cgroup_cpu_usage_seconds_total", cgroup=busy_path)
    with open(os.path.join(cgtree.path, "busy", "cpu.stat")) as f:
        usage_file = int(f.readline().split()[1]) / 1e6
    assert u2 > u1, f"busy cgroup's CPU did not grow: {u1} -> {u2}"
    assert u2 <= usage_file and usage_file - u2 < 1.0
    assert series(m2, "cgroup_cpu_usage_seconds_total", cgroup=idle_path) == 0

    # populated flips 1 -> 0 when the child exits.
    busy.kill()
    busy.wait()
    assert wait_for(lambda: series(scrape(agent), "cgroup_populated", cgroup=busy_path) == 0)

    # A removed cgroup disappears; the others stay.
    cgtree.rmdir("idle", "nested")
    m3 = wait_for(lambda: (lambda m: m if series(m, "cgroup_populated", cgroup=nested_path) is None else None)(scrape(agent)))
    assert m3, "the removed cgroup is still served"
    assert series(m3, "cgroup_populated", cgroup=idle_path) == 0
    assert series(m3, "cgroup_removed_total") >= 1
    assert series(m3, "cgroup_created_total") >= 3

    rc, out = promtool_check(agent.get("/metrics"))
    assert rc == 0 and out.strip() == "", out


def test_self_metrics_and_ids(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms")
    cgtree.mkdir("x")
    m = wait_for(lambda: (lambda m: m if series(m, "cgroup_populated", cgroup=cgtree.rel("x")) is not None else None)(scrape(agent)))
    assert m
    assert series(m, "cgscope_cgroups") >= 3
    assert series(m, "cgscope_collect_duration_seconds_count") >= 1
    assert series(m, "cgscope_read_errors_total", file="cpu.stat") == 0
    version = subprocess.run([CGSCOPE, "--version"], capture_output=True, text=True).stdout.split()[1]
    assert series(m, "cgscope_build_info", version=version) == 1


def test_http_endpoints(agent_factory):
    agent = agent_factory("--interval=200ms")
    with urllib.request.urlopen(agent.url + "/") as r:
        assert r.headers["Content-Type"].startswith("text/html")
        assert b'href="/metrics"' in r.read()
    with urllib.request.urlopen(agent.url + "/metrics") as r:
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        plain = r.read()
    req = urllib.request.Request(agent.url + "/metrics", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        text = gzip.decompress(r.read())
        assert text.startswith(b"# HELP")
    assert b"cgscope_build_info" in plain
    with urllib.request.urlopen(agent.url + "/healthz") as r:
        assert r.status == 200
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(agent.url + "/nope")
    assert e.value.code == 404
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(agent.url + "/metrics", method=method, data=b"x"))
        assert e.value.code == 405
        assert "GET" in e.value.headers["Allow"]
    req = urllib.request.Request(agent.url + "/metrics", method="HEAD")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200 and r.read() == b""


def test_custom_telemetry_path(agent_factory):
    agent = agent_factory("--web.telemetry-path=/m")
    assert "cgscope_cgroups" in agent.get("/m")
    with pytest.raises(urllib.error.HTTPError):
        agent.get("/metrics")


@pytest.mark.parametrize("fixture", ["linux-6.1-v2", "linux-6.18-hybrid"])
def test_dump_fixture_passes_promtool(fixture):
    r = subprocess.run([CGSCOPE, "dump", "--cgroup-root", os.path.join(FIXTURES, fixture)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rc, out = promtool_check(r.stdout)
    assert rc == 0 and out.strip() == "", out
    m = parse_metrics(r.stdout)
    assert series(m, "cgroup_populated", cgroup="/workload") == 1


def test_dump_live_tree():
    r = subprocess.run([CGSCOPE, "dump"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = parse_metrics(r.stdout)
    assert series(m, "cgroup_populated", cgroup="/") is None  # the root has no cgroup.events
    assert series(m, "cgscope_cgroups") >= 1
    assert promtool_check(r.stdout)[0] == 0


def run(*args):
    return subprocess.run([CGSCOPE, *args], capture_output=True, text=True, timeout=20)


def test_cli_errors_are_clear():
    r = run("dump", "--cgroup-root", "/nonexistent")
    assert r.returncode == 1 and "/nonexistent" in r.stderr and "No such file" in r.stderr
    r = run("agent", "--interval", "soon")
    assert r.returncode == 2 and "--interval" in r.stderr
    r = run("agent", "--web.listen-address", "nonsense", "--record.dir=")
    assert r.returncode == 1 and "nonsense" in r.stderr
    r = run("agent", "--no-such-flag")
    assert r.returncode == 2
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_port_in_use(agent_factory):
    a = agent_factory()
    r = run("agent", f"--web.listen-address=127.0.0.1:{a.port}", "--record.dir=")
    assert r.returncode == 1 and "Address already in use" in r.stderr


PSI_FILES = ("cpu.pressure", "memory.pressure", "io.pressure", "irq.pressure")


def test_group_switched_off_is_not_read(cgtree, agent_factory):
    """--collect.pressure=false opens none of the PSI files: the agent holds
    exactly the PSI files of every cgroup fewer (four where the kernel has
    irq.pressure, three where it does not), and serves no PSI series."""
    for parts in (("a",), ("a", "b"), ("c",), ("c", "d"), ("c", "d", "e")):
        cgtree.mkdir(*parts)
    dirs = [d for d, _, _ in os.walk(cgtree.path)]
    psi = {d: sum(os.path.exists(os.path.join(d, f)) for f in PSI_FILES) for d in dirs}
    with_psi = [d for d in dirs if psi[d]]
    assert len(with_psi) == len(dirs) == 6 and min(psi.values()) >= 3, psi
    per_cgroup = psi[cgtree.path]
    assert all(n == per_cgroup for n in psi.values()), psi

    args = ("--interval=200ms", "--no-bpf", f"--cgroup-root={cgtree.path}")
    on = agent_factory(*args)
    off = agent_factory(*args, "--collect.pressure=false")

    def settled(agent):
        def ready():
            m = scrape(agent)
            return m if series(m, "cgscope_cgroups") == 6 and \
                series(m, "cgscope_collect_cycles_total") >= 2 else None
        m = wait_for(ready)
        assert m, f"{agent.url}: not 6 cgroups"
        return m
    m_on, m_off = settled(on), settled(off)
    held_on = series(m_on, "cgscope_files_held")
    held_off = series(m_off, "cgscope_files_held")
    assert held_on - held_off == sum(psi.values()), (held_on, held_off, psi)
    assert (held_on - held_off) / len(with_psi) == per_cgroup
    assert series(m_on, "cgroup_pressure_stalled_seconds_total", cgroup="/", kind="some",
                  resource="cpu") is not None
    assert not [k for k in m_off if k[0].startswith("cgroup_pressure_")]
    assert series(m_off, "cgscope_read_errors_total", file="cpu.pressure") == 0
    # The rest is read as before.
    assert series(m_off, "cgroup_cpu_usage_seconds_total", cgroup="/c/d/e") is not None


def served(m):
    return {dict(k[1])["cgroup"] for k in m if k[0] == "cgroup_info"}


def test_max_cgroups_keeps_busy_leaf_without_memory(cgtree, agent_factory):
    """--max-cgroups on a tree where no cgroup has memory.current (this
    host's cgroup2 has no memory controller; also --collect.memory=false):
    the memory ranking has no data and is skipped, rather than ranking every
    cgroup at 0 and taking the idle ones with the smallest ids. The busy leaf
    four levels down comes with its three ancestors and the root: 5."""
    for n in ("idle1", "idle2", "idle3"):
        cgtree.mkdir(n)			# made first: the smallest ids
    cgtree.mkdir("a")
    cgtree.mkdir("a", "b")
    cgtree.mkdir("a", "b", "busy")
    # A second busy process in a itself, so that a and the test's directory
    # rank above b and the leaf by CPU: the order in which the old ranking
    # gave two of the five places to idle cgroups.
    cgtree.spawn(BUSY, "a")
    cgtree.spawn(BUSY, "a", "b", "busy")
    leaf = cgtree.rel("a", "b", "busy")
    for extra in ((), ("--collect.memory=false",)):
        agent = agent_factory("--interval=200ms", "--no-bpf", "--max-cgroups=5",
                              f"--include={cgtree.rel()}", *extra)

        def ready():
            m = scrape(agent)
            return m if series(m, "cgscope_collect_cycles_total") >= 4 else None
        m = wait_for(ready)
        assert m
        want = {"/", cgtree.rel(), cgtree.rel("a"), cgtree.rel("a", "b"), leaf}
        assert served(m) == want, served(m)
        assert series(m, "cgroup_populated", cgroup=leaf) == 1
        assert series(m, "cgscope_cgroups_dropped", reason="limit") == 3
        log = agent.stop()
        assert "by CPU" in log and "memory.current" in log, log


def test_include_matching_nothing_warns_once(cgtree, agent_factory):
    """--include that matches no cgroup serves nothing, and says so once."""
    cgtree.mkdir("x")
    agent = agent_factory("--interval=100ms", "--no-bpf", f"--include={cgtree.rel('nope*')}")
    m = wait_for(lambda: (lambda m: m if series(m, "cgscope_collect_cycles_total") >= 5
                          else None)(scrape(agent)))
    assert m
    assert series(m, "cgscope_cgroups") == 0
    assert not served(m)
    log = agent.stop()
    warnings = [l for l in log.splitlines() if "--include matches no cgroup" in l]
    assert len(warnings) == 1 and "level=warn" in warnings[0], log


def health(agent):
    try:
        with urllib.request.urlopen(agent.url + "/healthz", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_interval_shorter_than_a_cycle(cgtree, agent_factory):
    """--interval shorter than a cycle: the agent keeps to the interval's
    ticks, skipping those a cycle ran into, counts the cycles that overran,
    warns once, and /healthz says it is behind."""
    for i in range(300):		# 2,400 files: well over 1 ms a cycle
        cgtree.mkdir(f"c{i:03d}")
    root = f"--cgroup-root={cgtree.path}"
    # Ready when it listens: /healthz would not say ok for long.
    fast = agent_factory("--interval=1ms", "--no-bpf", root, health_url="tcp")

    def cycled():
        try:
            m = scrape(fast)
        except urllib.error.HTTPError:	# 503: no cycle yet
            return None
        return m if series(m, "cgscope_collect_cycles_total") >= 20 else None
    m = wait_for(cycled)
    assert m
    cycles = series(m, "cgscope_collect_cycles_total")
    overruns = series(m, "cgscope_collect_overruns_total")
    # Counted when the next cycle starts: all but the last one.
    assert cycles - 2 <= overruns <= cycles, (cycles, overruns)
    status, body = health(fast)
    assert status == 503 and body.startswith("behind: "), (status, body)
    assert json.loads(fast.get("/api/v1/status"))["overruns"] >= overruns
    log = fast.stop()
    warnings = [l for l in log.splitlines() if "longer than --interval" in l]
    assert len(warnings) == 1 and "level=warn" in warnings[0], log

    # An interval the cycles fit in: no overrun, healthy.
    slow = agent_factory("--interval=500ms", "--no-bpf", root)
    m = wait_for(lambda: (lambda m: m if series(m, "cgscope_collect_cycles_total") >= 3
                          else None)(scrape(slow)))
    assert m and series(m, "cgscope_collect_overruns_total") == 0
    assert health(slow) == (200, "ok\n")
    assert "longer than --interval" not in slow.stop()
