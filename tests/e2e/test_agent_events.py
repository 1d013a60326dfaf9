# SPDX-License-Identifier: GPL-2.0-only
"""Kernel events in the agent: BPF-backed metrics, /api/v1/events, the
Server-Sent Events stream with resumption, the poll-derived fallbacks and
loss accounting. Other activity on the machine makes events too: every check
looks at the test's own cgroups only."""
import json
import re
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, SLEEP, parse_metrics, series, wait_for

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "cgroupfs", "linux-6.1-v2")


def get_json(agent, path):
    try:
        with urllib.request.urlopen(agent.url + path, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def metrics(agent):
    return parse_metrics(agent.get("/metrics"))


def events_of(agent, ids, types="mkdir,rmdir,migration"):
    _, doc = get_json(agent, f"/api/v1/events?type={types}&limit=10000")
    return [e for e in doc["events"] if e["cgroup_id"] in ids or e.get("src_cgroup_id") in ids]


def test_bpf_metrics_count_migrations(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms")
    m = metrics(agent)
    assert series(m, "cgscope_bpf_loaded") == 1
    hooks = {dict(k[1])["feature"]: dict(k[1])["hook"] for k in m if k[0] == "cgscope_bpf_hook_info"}
    assert hooks["migration"] != "none" and hooks["lifecycle"] != "none" and hooks["oom"] != "none"
    # This kernel refuses fentry and has no kprobes: throttling is polled.
    assert hooks["throttle"] in ("fentry", "kprobe", "poll")
    cgtree.mkdir("a")
    cgtree.mkdir("b")
    p = cgtree.spawn(SLEEP, "a")
    cgtree.move(p.pid, "b")
    cgtree.move(p.pid, "a")
    a, b = cgtree.rel("a"), cgtree.rel("b")
    # The kernel's counts are there at the next cycle; the records come to
    # the agent in batches (a wakeup per batch, at most 100 ms later).
    m = wait_for(lambda: (lambda m: m if series(m, "cgroup_migrations_in_total", cgroup=a) == 2
                          and series(m, "cgscope_bpf_events_total", type="migration") >= 3
                          else None)(metrics(agent)))
    assert m, "two migrations into a were not counted"
    assert series(m, "cgroup_migrations_in_total", cgroup=b) == 1
    assert series(m, "cgroup_migrations_out_total", cgroup=a) == 1
    assert series(m, "cgroup_migrations_out_total", cgroup=b) == 1
    assert series(m, "cgroup_oom_kills_total", cgroup=a) == 0
    assert series(m, "cgscope_bpf_events_total", type="migration") >= 3
    assert series(m, "cgscope_bpf_events_total", type="mkdir") >= 2
    st = get_json(agent, "/api/v1/status")[1]
    assert st["bpf"]["loaded"] is True and st["bpf"]["hooks"]["migration"] == hooks["migration"]


# The machine is shared: other work's events (a migration storm elsewhere)
# must not push this test's out of the agent's ring before it looks.
BIG_RING = "--events.ring-size=200000"


def test_events_endpoint(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms", BIG_RING)
    _, doc0 = get_json(agent, "/api/v1/events?type=mkdir")
    since = doc0["next_seq"]
    cgtree.mkdir("x")
    cgtree.mkdir("x", "y")
    ids = {cgtree.ino("x"), cgtree.ino("x", "y")}
    assert wait_for(lambda: len(events_of(agent, ids, "mkdir")) == 2)
    _, doc = get_json(agent, f"/api/v1/events?since={since}&type=mkdir")
    mine = [e for e in doc["events"] if e["cgroup_id"] in ids]
    assert [e["path"] for e in mine] == [cgtree.rel("x"), cgtree.rel("x", "y")]
    assert [e["cgroup_id"] for e in mine] == [cgtree.ino("x"), cgtree.ino("x", "y")]
    assert all(e["type"] == "mkdir" for e in doc["events"])
    seqs = [e["seq"] for e in doc["events"]]
    assert seqs == sorted(seqs) and all(s > since for s in seqs)
    assert doc["next_seq"] >= seqs[-1]
    # limit, and asking from next_seq gives nothing older
    _, one = get_json(agent, f"/api/v1/events?since={since}&type=mkdir&limit=1")
    assert len(one["events"]) == 1 and one["events"][0]["seq"] == seqs[0]
    _, later = get_json(agent, f"/api/v1/events?since={doc['next_seq']}&type=mkdir")
    assert all(e["seq"] > doc["next_seq"] for e in later["events"])
    for bad in ("type=nonsense", "since=-1", "since=x", "limit=0", "limit=99999999"):
        status, err = get_json(agent, "/api/v1/events?" + bad)
        assert status == 400 and err["error"], bad


class Stream:
    """A raw SSE client: reads events (id, type, data) in a thread."""

    def __init__(self, port, last_id=None, types=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        q = f"?type={types}" if types else ""
        hdr = f"Last-Event-ID: {last_id}\r\n" if last_id is not None else ""
        self.sock.sendall(f"GET /api/v1/events/stream{q} HTTP/1.1\r\nHost: x\r\n{hdr}\r\n".encode())
        self.events, self.head, self.lock = [], b"", threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                buf += data
                if not self.head and b"\r\n\r\n" in buf:
                    self.head, buf = buf.split(b"\r\n\r\n", 1)
                # chunked framing: keep only the payload lines that matter
                for block in buf.split(b"\n\n")[:-1]:
                    ev = {}
                    for line in block.split(b"\n"):
                        if line.startswith(b"id: "):
                            ev["id"] = int(line[4:])
                        elif line.startswith(b"data: "):
                            ev["data"] = json.loads(line[6:])
                    if "id" in ev:
                        with self.lock:
                            self.events.append(ev)
                buf = buf.split(b"\n\n")[-1]
        except OSError:
            return

    def got(self):
        with self.lock:
            return list(self.events)

    def close(self):
        self.sock.close()


def test_sse_stream_and_resume(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms", BIG_RING)
    s1 = Stream(agent.port)
    assert wait_for(lambda: s1.head.startswith(b"HTTP/1.1 200"))
    assert b"text/event-stream" in s1.head
    cgtree.mkdir("s1")
    ino = cgtree.ino("s1")
    assert wait_for(lambda: any(e["data"]["cgroup_id"] == ino for e in s1.got())), "mkdir not streamed"
    last = s1.got()[-1]["id"]
    s1.close()
    # While nobody listens: more events.
    for i in range(5):
        cgtree.mkdir(f"gap{i}")
    gap_ids = {cgtree.ino(f"gap{i}") for i in range(5)}
    assert wait_for(lambda: len(events_of(agent, gap_ids, "mkdir")) == 5)
    s2 = Stream(agent.port, last_id=last)
    assert wait_for(lambda: gap_ids <= {e["data"]["cgroup_id"] for e in s2.got()}), "missed events not resent"
    got = s2.got()
    seqs = [e["id"] for e in got]
    # No gap: every sequence number after the last one seen, in order.
    assert seqs[0] == last + 1 and seqs == list(range(last + 1, last + 1 + len(seqs)))
    assert all(e["data"]["seq"] == e["id"] for e in got)
    s2.close()
    # The agent still serves after the clients went away.
    assert agent.get("/healthz").startswith("ok")


@pytest.mark.parametrize("asked", [False, True], ids=["default", "events.populated"])
def test_populated_flips_only_when_asked(cgtree, agent_factory, asked):
    """A populated flip costs a ring record (about 130 ns of kernel time):
    the agent records them only with --events.populated. Either way the
    migrations that flipped the cgroup are recorded and counted."""
    agent = agent_factory("--interval=200ms", BIG_RING, *(["--events.populated"] if asked else []))
    cgtree.mkdir("p")
    ino = cgtree.ino("p")
    child = cgtree.spawn(SLEEP, "p")            # populated 0 -> 1
    cgtree.move(child.pid)                      # out: populated 1 -> 0
    child.kill()
    child.wait()
    assert wait_for(lambda: "populated 0" in open(os.path.join(cgtree.path, "p", "cgroup.events")).read())
    cgtree.mkdir("after")                       # recorded after every flip above
    after = cgtree.ino("after")
    assert wait_for(lambda: events_of(agent, {after}, "mkdir")), "mkdir not recorded"
    moves = events_of(agent, {ino}, "migration")
    assert len(moves) == 2, moves
    flips = [(e["populated"]) for e in events_of(agent, {ino}, "populated")]
    if asked:
        assert wait_for(lambda: [e["populated"] for e in events_of(agent, {ino}, "populated")]
                        == [True, False]), flips
        # The page counts them at the next cycle, not at once (under ASan a
        # cycle can come well after the records).
        assert wait_for(lambda: series(metrics(agent), "cgscope_bpf_events_total",
                                       type="populated") >= 2)
    else:
        assert flips == []
        # A cycle after the mkdir above: whatever was recorded is counted.
        m = metrics(agent)
        assert wait_for(lambda: metrics(agent) != m)
        assert not series(metrics(agent), "cgscope_bpf_events_total", type="populated")
    assert wait_for(lambda: series(metrics(agent), "cgroup_migrations_out_total",
                                   cgroup=cgtree.rel("p")) == 1)


def test_no_bpf_is_poll_only(agent_factory):
    agent = agent_factory("--no-bpf")
    m = metrics(agent)
    assert series(m, "cgscope_bpf_loaded") == 0
    assert series(m, "cgscope_bpf_hook_info", feature="migration", hook="none") == 1
    assert series(m, "cgscope_bpf_hook_info", feature="throttle", hook="poll") == 1
    assert not any(k[0] == "cgroup_migrations_in_total" for k in m)
    assert series(m, "cgroup_throttle_events_total", cgroup="/") == 0


def test_throttling_derived_from_cpu_stat(tmp_path, agent_factory):
    """No cpu controller on this machine's cgroup2: a captured tree whose
    cpu.stat the test advances stands in for a throttled cgroup."""
    root = tmp_path / "tree"
    shutil.copytree(FIXTURE, root)
    stat = root / "workload" / "cpu.stat"
    text = stat.read_text()
    agent = agent_factory("--interval=200ms", "--no-bpf", f"--cgroup-root={root}", "--user=root")
    assert wait_for(lambda: series(metrics(agent), "cgroup_throttle_events_total", cgroup="/workload") == 0)
    time.sleep(0.5)
    stat.write_text(text.replace("nr_throttled 251", "nr_throttled 258")
                        .replace("throttled_usec 35376960", "throttled_usec 35876960"))
    m = wait_for(lambda: (lambda m: m if series(m, "cgroup_throttle_events_total", cgroup="/workload") == 7 else None)(metrics(agent)))
    assert m, "7 more throttled periods were not counted"
    _, doc = get_json(agent, "/api/v1/events?type=throttle")
    ev = [e for e in doc["events"] if e["path"] == "/workload"]
    assert len(ev) == 1 and ev[0]["source"] == "poll"
    assert ev[0]["count"] == 7 and ev[0]["throttled_duration_ns"] == 500_000_000
    # OOM kills too: memory.events.local oom_kill grew by one.
    local = root / "workload" / "memory.events.local"
    local.write_text(local.read_text().replace("oom_kill 1", "oom_kill 2"))
    assert wait_for(lambda: series(metrics(agent), "cgroup_oom_kills_total", cgroup="/workload") == 1)


def test_counts_exact_when_the_ring_overflows(cgtree, agent_factory):
    """Issue 19: the kernel counts, the ring only carries details. 100,000
    migrations between two cgroups through a 4 KiB ring while a CPU hog runs
    on every core (so the agent's reader falls far behind): each cgroup's
    counts are exact, and the loss counter says the ring overflowed."""
    agent = agent_factory("--interval=200ms", "--bpf.ring-buffer-size=4096")
    cgtree.mkdir("p")
    cgtree.mkdir("q")
    p_rel, q_rel = cgtree.rel("p"), cgtree.rel("q")
    # Scrapes go on through the storm: every one answered.
    latencies, errors, done = [], [], threading.Event()

    def scrape():
        while not done.is_set():
            t0 = time.monotonic()
            try:
                agent.get("/metrics")
                latencies.append(time.monotonic() - t0)
            except OSError as e:
                errors.append(e)
            time.sleep(0.05)
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(os.cpu_count() or 1)]
    sleeper = subprocess.Popen(["sleep", "600"])
    scraper = threading.Thread(target=scrape, daemon=True)
    scraper.start()
    moves = 100_000
    try:
        with open(os.path.join(cgtree.path, "p", "cgroup.procs"), "w") as p, \
                open(os.path.join(cgtree.path, "q", "cgroup.procs"), "w") as q:
            pid = str(sleeper.pid)
            for i in range(moves // 2):
                p.write(pid)
                p.flush()
                q.write(pid)
                q.flush()
    finally:
        for h in hogs:
            h.kill()
        for h in hogs:
            h.wait()
        sleeper.kill()
        sleeper.wait()
        storm_end = time.monotonic()
        done.set()
        scraper.join(15)
    print(f"storm: {len(latencies)} scrapes, max {max(latencies) * 1000:.0f} ms")
    assert not errors and len(latencies) > 5, errors[:3]

    def settled():
        m = metrics(agent)
        return m if series(m, "cgroup_migrations_in_total", cgroup=q_rel) >= moves // 2 else None
    m = wait_for(settled, timeout=20)
    assert m, "the migrations were not all counted"
    # Into p first (from the test's own cgroup), then q, p, ..., q last.
    assert series(m, "cgroup_migrations_in_total", cgroup=p_rel) == 50_000
    assert series(m, "cgroup_migrations_in_total", cgroup=q_rel) == 50_000
    assert series(m, "cgroup_migrations_out_total", cgroup=p_rel) == 50_000
    assert series(m, "cgroup_migrations_out_total", cgroup=q_rel) == 49_999
    lost = series(m, "cgscope_bpf_events_lost_total")
    assert lost > 0, "a 4 KiB ring took 100,000 migrations without overflowing: the test proves nothing"
    # The records the reader got are fewer than the migrations by the loss.
    received = series(m, "cgscope_bpf_events_total", type="migration")
    assert received < moves, (received, lost)
    assert series(m, "cgscope_bpf_events_uncounted_total") == 0
    assert agent.get("/healthz").startswith("ok")
    # The loss is logged with its count, at most every 10 s: once for a
    # storm shorter than that, more should the agent run past it.
    time.sleep(0.5)
    lost = series(metrics(agent), "cgscope_bpf_events_lost_total")
    log = [l for l in agent.stop().splitlines() if "BPF event records lost" in l]
    assert 1 <= len(log) <= 2 + (time.monotonic() - storm_end) // 10, log
    counts = [tuple(map(int, re.search(r'msg="(\d+) BPF event records lost \((\d+) since start\)',
                                       l).groups())) for l in log]
    assert all(" level=warn " in l for l in log), log
    assert all(0 < n <= total for n, total in counts) and counts[-1][1] <= lost, counts
    assert sum(n for n, _ in counts) == counts[-1][1], counts


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])


def test_slow_sse_client_sees_a_gap(cgtree, agent_factory):
    """A client that stops reading while thousands of events come loses the
    oldest (the agent keeps only its ring of recent events, whatever the
    client's backlog), and is told: a `gap` event saying how many it
    missed, and an `id:` that jumps by that many."""
    agent = agent_factory("--interval=200ms", "--events.ring-size=64")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", agent.port))
    sock.sendall(b"GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b": connected" not in head:
        head += sock.recv(4096)
    rss0 = rss_kib(agent.proc.pid)
    # Far more than the ring, the socket's buffers and the client's
    # pending batch hold: 1,500 cgroups made and removed (mkdir, rmdir and
    # release each), while the client reads nothing.
    for i in range(1500):
        cgtree.mkdir(f"g{i}")
        cgtree.rmdir(f"g{i}")
    time.sleep(1)
    rss1 = rss_kib(agent.proc.pid)
    buf = head
    sock.settimeout(2)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
    except socket.timeout:
        pass
    sock.close()
    blocks = [b for b in buf.split(b"\n\n") if b"event: " in b]
    # The stream in order: ("id", n) for each event, ("gap", {...}) for each gap.
    items = []
    for b in blocks:
        lines = b.split(b"\n")
        if b"event: gap" in b:
            assert not any(l.startswith(b"id: ") for l in lines), "a gap event must not move Last-Event-ID"
            items.append(("gap", json.loads(next(l[6:] for l in lines if l.startswith(b"data: ")))))
        else:
            items.append(("id", int(next(l[4:] for l in lines if l.startswith(b"id: ")))))
    gaps = [v for k, v in items if k == "gap"]
    assert gaps, "no gap event for a client that missed thousands of events"
    # Every jump of the id is a gap event saying exactly how many were
    # skipped, and every gap event is such a jump.
    prev = None
    for n, (k, v) in enumerate(items):
        if k == "gap":
            assert v["type"] == "gap" and v["missed"] > 0
            assert prev is None or v["after_seq"] == prev, (v, prev)
            assert n + 1 < len(items) and items[n + 1] == ("id", v["resume_seq"]), (v, items[n + 1:n + 2])
            assert v["resume_seq"] == v["after_seq"] + v["missed"] + 1
            prev = v["resume_seq"] - 1
        else:
            assert prev is None or v == prev + 1, (prev, v)
            prev = v
    # Thousands of events for a client that did not read were dropped for
    # it, not kept (the ring holds 64): most of what it gets is gaps.
    delivered = sum(1 for k, _ in items if k == "id")
    assert sum(g["missed"] for g in gaps) > max(1000, delivered), (delivered, gaps[:3])
    print(f"agent RSS {rss0} -> {rss1} KiB through the storm")
    assert agent.get("/healthz").startswith("ok")
