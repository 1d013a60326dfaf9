# SPDX-License-Identifier: GPL-2.0-only
"""Churn: thousands of cgroups created and removed (nested too) and a process
moved among them, while the agent polls every 100 ms and a client scrapes
/metrics and /api/v1/cgroups 20 times a second.

At the end: the agent is alive, no request failed, its open descriptors are
back to their starting count, its RSS is within a few percent of what it was
after a warm-up with the same churn, and every cgroup that remains is listed
and every removed one gone within two collection cycles.

The agent watches the test's own directory of the real cgroup2 tree
(--cgroup-root): other tests and benchmarks on the machine create and remove
cgroups of their own meanwhile, which would change its descriptor count and
memory for reasons that are not this test's.
"""
import json
import os
import random
import threading
import time
import urllib.request

from conftest import SLEEP

INTERVAL_S = 0.1
PARENTS = 10            # top cgroups per round
CHILDREN = 4            # each with CHILDREN children, each with one grandchild
ROUNDS = 15             # rounds per churn cycle; every KEEP_EVERY-th round's
KEEP_EVERY = 5          # cgroups stay until the end of the cycle
WARMUP_CYCLES = 1
CYCLES = 5
RSS_SLACK = 0.05        # "within a few percent"
RSS_SLACK_KB = 1024     # and the noise of a small process's page counts


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Scraper(threading.Thread):
    """GETs /metrics and /api/v1/cgroups every 50 ms until stopped or paused;
    every failure (status, exception, unparsable JSON) is kept."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.stop_ev = threading.Event()
        self.run_ev = threading.Event()
        self.idle_ev = threading.Event()
        self.errors = []
        self.requests = 0
        self.max_latency = 0.0

    def get(self, path):
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                body = r.read()
                if r.status != 200:
                    self.errors.append(f"{path}: status {r.status}")
                elif path.startswith("/api/"):
                    json.loads(body)
        except Exception as e:  # noqa: BLE001 - every failure counts
            self.errors.append(f"{path}: {e!r}")
        self.requests += 1
        self.max_latency = max(self.max_latency, time.monotonic() - t0)

    def run(self):
        while not self.stop_ev.is_set():
            if not self.run_ev.is_set():
                self.idle_ev.set()
                self.run_ev.wait(0.05)
                continue
            self.idle_ev.clear()
            t0 = time.monotonic()
            self.get("/metrics")
            self.get("/api/v1/cgroups")
            time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))

    def pause(self):
        self.run_ev.clear()
        assert self.idle_ev.wait(15), "scraper did not pause"

    def resume(self):
        self.run_ev.set()


def get_doc(agent):
    with urllib.request.urlopen(agent.url + "/api/v1/cgroups", timeout=10) as r:
        return json.loads(r.read())


def rel(*parts):
    """A cgroup's label below the agent's root, the test's directory."""
    return "/" + "/".join(parts)


def check_listed_within_two_cycles(agent, expected):
    """The snapshot two cycles after the one current now (whose cycle may
    have begun before the last change) lists exactly `expected`."""
    c0 = get_doc(agent)["cycle"]
    deadline = time.monotonic() + 30
    while True:
        doc = get_doc(agent)
        if doc["cycle"] >= c0 + 2:
            break
        assert time.monotonic() < deadline, "the agent stopped cycling"
        time.sleep(INTERVAL_S / 4)
    got = {c["path"] for c in doc["cgroups"]}
    missing, stale = expected - got, got - expected
    assert not missing and not stale, (
        f"cycle {doc['cycle']} (changes done by cycle {c0}): "
        f"{len(missing)} missing, e.g. {sorted(missing)[:5]}; "
        f"{len(stale)} removed but listed, e.g. {sorted(stale)[:5]}")


def churn_cycle(cgtree, proc, tag, rng):
    """ROUNDS rounds of PARENTS * (1 + 2 * CHILDREN) cgroups each, the process
    moved through some of them; the kept rounds' cgroups are left in place and
    returned (relative parts), the others removed. Returns (kept, created)."""
    kept, created = [], 0
    for rnd in range(ROUNDS):
        made = []
        for i in range(PARENTS):
            top = f"{tag}-r{rnd}-p{i}"
            cgtree.mkdir(top)
            made.append((top,))
            for j in range(CHILDREN):
                cgtree.mkdir(top, f"c{j}")
                cgtree.mkdir(top, f"c{j}", "g")
                made += [(top, f"c{j}"), (top, f"c{j}", "g")]
        created += len(made)
        # Seen by a cycle or two, and the process walks through some.
        for parts in rng.sample(made, 5):
            if len(parts) != 2:  # not a cgroup with a child: "no internal process"
                cgtree.move(proc.pid, *parts)
            time.sleep(0.02)
        cgtree.move(proc.pid, "home")
        time.sleep(INTERVAL_S)
        if rnd % KEEP_EVERY == KEEP_EVERY - 1:
            kept += made
            continue
        for parts in sorted(made, key=len, reverse=True):
            cgtree.rmdir(*parts)
    return kept, created


def remove(cgtree, parts_list):
    for parts in sorted(parts_list, key=len, reverse=True):
        cgtree.rmdir(*parts)


def settle(scraper, pid, want_fds=None, timeout=10):
    """Pauses the scraper and waits until the agent's descriptors stop
    changing (closed client connections are reaped) or reach want_fds."""
    scraper.pause()
    deadline = time.monotonic() + timeout
    last, stable_since = fd_count(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(INTERVAL_S)
        n = fd_count(pid)
        if n == want_fds:
            return n
        if n != last:
            last, stable_since = n, time.monotonic()
        elif want_fds is None and time.monotonic() - stable_since > 1.0:
            return n
    return fd_count(pid)


def test_churn(cgtree, agent_factory):
    rng = random.Random(8)
    sanitized = bool(os.environ.get("CGSCOPE_SANITIZER"))
    cgtree.mkdir("home")
    proc = cgtree.spawn(SLEEP, "home")
    agent = agent_factory(f"--interval={int(INTERVAL_S * 1000)}ms",
                          f"--cgroup-root={cgtree.path}")
    pid = agent.proc.pid
    base = {rel(), rel("home")}
    check_listed_within_two_cycles(agent, base)

    scraper = Scraper(agent.url)
    scraper.start()
    fds_start = settle(scraper, pid)
    t_start = time.monotonic()

    # Warm-up: the same churn, so that allocator arenas, buffers and caches
    # have grown to what this load needs before RSS is taken.
    scraper.resume()
    for w in range(WARMUP_CYCLES):
        kept, _ = churn_cycle(cgtree, proc, f"w{w}", rng)
        remove(cgtree, kept)
    check_listed_within_two_cycles(agent, base)
    fds_warm = settle(scraper, pid, fds_start)
    rss_warm = rss_kb(pid)
    t_warm = time.monotonic()

    created = 0
    scraper.resume()
    for c in range(CYCLES):
        kept, n = churn_cycle(cgtree, proc, f"m{c}", rng)
        created += n
        expected = base | {rel(*parts) for parts in kept}
        check_listed_within_two_cycles(agent, expected)
        remove(cgtree, kept)
    check_listed_within_two_cycles(agent, base)
    fds_end = settle(scraper, pid, fds_start)
    rss_end = rss_kb(pid)
    t_end = time.monotonic()
    scraper.stop_ev.set()
    scraper.run_ev.set()
    scraper.join(15)

    report = (f"{created} cgroups churned in {t_end - t_warm:.1f}s (warm-up "
              f"{t_warm - t_start:.1f}s); {scraper.requests} requests, max latency "
              f"{scraper.max_latency * 1000:.0f} ms; fds {fds_start} -> {fds_warm} -> "
              f"{fds_end}; RSS {rss_warm} kB after warm-up -> {rss_end} kB")
    print(report)
    assert agent.proc.poll() is None, "the agent died: " + agent.stop()
    assert not scraper.errors, f"{len(scraper.errors)} failed requests, e.g. {scraper.errors[:5]}"
    assert scraper.requests > 100
    assert fds_end == fds_start, report
    if not sanitized:  # ASan's quarantine holds freed memory by design
        assert rss_end <= rss_warm * (1 + RSS_SLACK) + RSS_SLACK_KB, report
