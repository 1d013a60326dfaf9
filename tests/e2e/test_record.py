# SPDX-License-Identifier: GPL-2.0-only
"""The flight recorder as users run it: a real agent recording the real
cgroup tree into --record.dir, and the commands that read it back (dump,
events, top with --replay, export), a real promtool and Prometheus
backfilled from it; kill -9, a full file system, the unit's capabilities."""
import calendar
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from conftest import BUSY, CGSCOPE, SLEEP, Agent, cgroup2_mount, free_port, parse_metrics, series, wait_for


def run(*args, timeout=60, **kw):
    return subprocess.run([CGSCOPE, *args], capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture
def recdir():
    d = tempfile.mkdtemp(prefix="cgscope-rec-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def at(ms):
    """A --at for a time in milliseconds since the epoch."""
    return "@%d.%03d" % (ms // 1000, ms % 1000)


def same_cycle(agent):
    """/metrics and /api/v1/cgroups of one cycle (asked until they agree)."""
    for _ in range(50):
        page = agent.get("/metrics")
        doc = json.loads(agent.get("/api/v1/cgroups"))
        m = re.search(r"^cgscope_collect_cycles_total (\d+)$", page, re.M)
        if m and int(m.group(1)) == doc["cycle"] and page == agent.get("/metrics"):
            return page, doc
        time.sleep(0.05)
    raise AssertionError("no two reads of the same cycle")


def replayed(d, ms, *extra):
    """dump --replay of the cycle at ms, once the agent has written it."""
    r = None
    for _ in range(100):
        r = run("dump", "--replay", d, "--at", at(ms), *extra)
        if r.returncode == 0 and (extra or "cgscope_collect_cycles_total" in r.stdout):
            # The frame of a later cycle is not there yet: it may be the
            # one before; a page of this cycle says its cycle number.
            return r
        time.sleep(0.1)
    raise AssertionError(f"dump --replay --at {at(ms)}: {r.stderr}")


def frames(d):
    """`dump --replay --list`: the cycles (seq, time, cycle) and the summary."""
    r = run("dump", "--replay", d, "--list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    cycles = []
    for l in lines[:-1]:
        m = re.match(r"(\S+) (keyframe|delta) +seq=(\d+) (?:cycle=(\d+)|unreadable)", l)
        if m:
            cycles.append((int(m.group(3)), m.group(1), m.group(4)))
    return cycles, lines[-1]


def wait_cycles(agent, n, timeout=30):
    start = series(parse_metrics(agent.get("/metrics")), "cgscope_collect_cycles_total")
    assert wait_for(lambda: series(parse_metrics(agent.get("/metrics")),
                                   "cgscope_collect_cycles_total") >= start + n, timeout)


@pytest.mark.parametrize("mode", ["plain", "cadvisor-filtered"])
def test_replayed_page_is_the_page_served(agent_factory, cgtree, recdir, mode):
    """The page dump --replay prints for a cycle is the page /metrics served
    for it, byte for byte: every family, the BPF hooks and event counts, the
    filter's results, cAdvisor's names, the recorder's own families. The
    JSON of the cycle has the rates the agent computed."""
    cgtree.mkdir("a")
    cgtree.mkdir("b")
    cgtree.mkdir("a", "x")
    cgtree.spawn(BUSY, "a", "x")
    cgtree.spawn(SLEEP, "b")
    args = ["--interval=1s", f"--record.dir={recdir}"]
    if mode != "plain":
        args += ["--compat=cadvisor", f"--exclude={cgtree.rel('b')}", "--max-cgroups=200"]
    agent = agent_factory(*args)
    wait_cycles(agent, 3)
    for _ in range(3):
        page, doc = same_cycle(agent)
        r = replayed(recdir, doc["timestamp_ms"])
        assert r.stdout == page, "replayed page differs from the served one"
        assert f'cgroup="{cgtree.rel("a", "x")}"' in page
        assert "cgscope_record_frames_total" in page
        # the network figures too (issue 20): the recorder keeps them
        assert "cgroup_network_transmit_bytes_total{" in page
        if mode != "plain":
            assert 'cgscope_cgroups_dropped{reason="filter"} 0' not in page
            assert "container_cpu_usage_seconds_total" in page
            assert "container_network_receive_bytes_total{" in page
        j = replayed(recdir, doc["timestamp_ms"], "--format", "json")
        assert json.loads(j.stdout) == doc
        busy = [c for c in doc["cgroups"] if c["path"] == cgtree.rel("a", "x")][0]
        # Rates from the recorded cycle before (a loaded machine gives the
        # busy loop less than a core: only that there is one).
        assert busy.get("rates", {}).get("cpu_cores", 0) > 0.05, busy
        time.sleep(1.2)


def test_events_replay_prints_what_the_agent_saw(agent_factory, cgtree, recdir):
    # A ring that holds what a busy machine's own cgroup events (another
    # program migrating 100,000 processes a second) add around the test's.
    agent = agent_factory("--interval=500ms", f"--record.dir={recdir}", "--events.ring-size=1048576")
    wait_cycles(agent, 2)
    since = json.loads(agent.get("/api/v1/events?limit=1"))["last_seq"]
    t0 = int(time.time() * 1000)
    for name in ("e1", "e2", "e3"):
        cgtree.mkdir(name)
    p = cgtree.spawn(SLEEP, "e1")
    cgtree.move(p.pid, "e2")
    cgtree.rmdir("e3")
    time.sleep(0.2)
    t1 = int(time.time() * 1000)
    mine = []

    def live_mine():
        # The records come to the agent in batches (a wakeup per batch);
        # the API gives them a page at a time.
        nonlocal since
        while True:
            page = json.loads(agent.get(f"/api/v1/events?since={since}&limit=10000"))
            assert page["missed"] == 0, {k: v for k, v in page.items() if k != "events"}
            since = page["next_seq"]
            mine.extend(e for e in page["events"]
                        if e.get("path", "").startswith(cgtree.rel()) and t0 <= e["timestamp_ns"] // 1000000 <= t1)
            if not page["events"]:
                break
        return {e["type"] for e in mine} >= {"mkdir", "rmdir", "migration"}
    assert wait_for(live_mine, timeout=10), ("the live API did not give the test's events", t0, t1, mine)
    wait_cycles(agent, 2)

    r = run("events", "--replay", recdir, "--since", at(t0), "--until", at(t1), "--json")
    assert r.returncode == 0, r.stderr
    got = [json.loads(l) for l in r.stdout.splitlines()]
    got_mine = [e for e in got if e.get("path", "").startswith(cgtree.rel())]
    # The same objects as the live API gave, seq included.
    assert got_mine == mine
    assert all(t0 <= e["timestamp_ns"] // 1000000 <= t1 for e in got)

    r = run("events", "--replay", recdir, "--since", at(t0), "--until", at(t1), "--type", "lifecycle")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if cgtree.rel() in l]
    assert any(" mkdir " in l and cgtree.rel("e1") in l for l in lines), lines
    assert not any(" migration " in l for l in r.stdout.splitlines())
    # The live stream's format: time, type, path and id, [source].
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (mkdir|rmdir|release|rename) +/", l)
               for l in r.stdout.splitlines()), r.stdout


def test_top_replay_shows_a_recorded_moment(agent_factory, cgtree, recdir):
    cgtree.mkdir("hot")
    cgtree.spawn(BUSY, "hot")
    agent = agent_factory("--interval=500ms", f"--record.dir={recdir}")
    wait_cycles(agent, 4)
    _, doc = same_cycle(agent)
    wait_cycles(agent, 2)
    r = run("top", "--replay", recdir, "--at", at(doc["timestamp_ms"]), "-b", "-n", "2",
            "--flat", "--depth", "10")
    assert r.returncode == 0, r.stderr
    frames_ = r.stdout.split("\ncgscope top")
    assert len(frames_) == 2, r.stdout
    when = re.findall(r"replay at (\S+ \S+) \S+  cycle (\d+)", r.stdout)
    assert [int(c) for _, c in when] == [doc["cycle"], doc["cycle"] + 1]
    # %CPU of the busy cgroup: from the recorded cycle before, as live.
    hot = [c for c in doc["cgroups"] if c["path"] == cgtree.rel("hot")][0]
    row = [l for l in frames_[0].splitlines() if l.startswith(cgtree.rel("hot"))][0]
    pct = float(row.split()[2])
    assert abs(pct - hot["rates"]["cpu_cores"] * 100) < 0.15, (row, hot)


def utc_ms(ts):
    """A time as `dump --list` prints it (RFC 3339, UTC, ms) in ms."""
    return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(ts[20:23])


def test_dump_replay_says_what_it_cannot(agent_factory, recdir):
    r = run("dump", "--replay", recdir)
    assert r.returncode == 1 and "holds no recording" in r.stderr
    agent = agent_factory("--interval=300ms", f"--record.dir={recdir}")
    wait_cycles(agent, 3)
    agent.stop()
    cycles, _ = frames(recdir)
    first, last = utc_ms(cycles[0][1]), utc_ms(cycles[-1][1])
    r = run("dump", "--replay", recdir, "--at", at(first - 1))
    assert r.returncode == 1 and "nothing recorded at or before" in r.stderr, r.stderr
    # Within three intervals of the last cycle: its page.
    r = run("dump", "--replay", recdir, "--at", at(last + 899))
    assert r.returncode == 0 and "cgscope_collect_cycles_total" in r.stdout, r.stderr
    # Past them: nothing was recorded then.
    r = run("dump", "--replay", recdir, "--at", at(last + 901))
    assert r.returncode == 1 and "more than three intervals" in r.stderr, r.stderr
    r = run("dump", "--replay", recdir, "--at", "yesterday at noon")
    assert r.returncode == 2 and "want a time" in r.stderr


def agent_cmd(d, port, *extra):
    return [CGSCOPE, "agent", f"--web.listen-address=127.0.0.1:{port}", f"--record.dir={d}",
            "--interval=100ms", "--no-bpf", *extra]


def wait_recorded(port, timeout=30):
    """Until the agent on port says it has written a frame."""
    def recorded():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                m = parse_metrics(r.read().decode())
        except OSError:
            return False
        return (series(m, "cgscope_record_frames_total") or 0) >= 1
    return wait_for(recorded, timeout, 0.05)


def test_kill_9_at_random_moments(recdir):
    """The store opens again after each kill -9, every cycle that read
    before reads after, a torn end is cut, and recording goes on. A kill
    rarely lands inside a write: every other time the test also cuts the
    newest frame short, as a kill in the middle of its write leaves it."""
    rnd = random.Random(18)
    seen = []
    torn_expected = None
    for i in range(30):
        port = free_port()
        proc = subprocess.Popen(agent_cmd(recdir, port), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            # Once it has recorded a cycle (a loaded machine may take a
            # while to start it), at a random moment.
            assert wait_recorded(port), f"kill #{i}: the agent recorded nothing"
            time.sleep(rnd.random() * 0.7)
        finally:
            proc.send_signal(signal.SIGKILL)
            out = proc.communicate()[0]
        assert "cannot record" not in out, out
        if torn_expected is not None:
            assert f"cut {torn_expected} bytes" in out, out
        torn_expected = None
        cycles, summary = frames(recdir)
        ok = [(seq, ts) for seq, ts, cyc in cycles if cyc is not None]
        assert len(ok) == len(cycles), summary
        assert "(0 unreadable)" in summary and "0 bytes damaged" in summary, summary
        # What read before still reads, and recording went on.
        assert set(seen) <= set(ok), f"kill #{i}: cycles lost"
        assert len(ok) > len(seen), f"kill #{i}: no new cycle"
        seqs = [s for s, _ in ok]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        seen = ok
        if i % 2:
            # The last frame, cut short: the next agent must cut the rest.
            r = run("dump", "--replay", recdir, "--list")
            last = r.stdout.splitlines()[-2]
            size = int(re.search(r"bytes=(\d+)", last).group(1))
            seg = os.path.join(recdir, "seg-%02d.cgr" % int(re.search(r"seg=(\d+)", last).group(1)))
            chop = 1 + rnd.randrange(size - 1)
            os.truncate(seg, os.path.getsize(seg) - chop)
            torn_expected = size - chop
            if re.search(r"(keyframe|delta) +seq=(\d+)", last):
                seen = seen[:-1]


@pytest.fixture
def small_fs():
    """A 2 MiB tmpfs under a temporary directory of the test's own."""
    base = tempfile.mkdtemp(prefix="cgscope-fs-")
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "cgscope-test", mnt],
                   check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt], check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_disk_full_pauses_and_resumes(small_fs, cgtree):
    for i in range(20):
        cgtree.mkdir(f"c{i}")
    d = os.path.join(small_fs, "rec")
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(agent_cmd(d, port), stdout=log, stderr=subprocess.STDOUT)
    a = Agent.__new__(Agent)
    a.port, a.url, a.proc, a.record_dir = port, f"http://127.0.0.1:{port}", proc, None
    filler = os.path.join(small_fs, "filler")
    try:
        a._wait_ready("http")
        wait_cycles(a, 5)
        before, _ = frames(d)
        # The file system fills up.
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass

        def paused():
            log.seek(0)
            return "recording paused" in log.read()
        assert wait_for(paused, 20), "no pause"
        # The page of the cycle after the failed write counts it.
        def no_space():
            return (series(parse_metrics(a.get("/metrics")), "cgscope_record_errors_total",
                           reason="no_space") or 0) >= 1
        if not wait_for(no_space, 30):
            log.seek(0)
            pytest.fail("no_space not counted: %s\n%s" % (
                [l for l in a.get("/metrics").splitlines() if l.startswith("cgscope_record")], log.read()))
        # Serving goes on: new cycles while paused.
        wait_cycles(a, 5)
        log.seek(0)
        assert log.read().count("recording paused") == 1
        during, summary = frames(d)
        assert "(0 unreadable)" in summary and "0 bytes damaged" in summary, summary
        assert set(before) <= set(during)
        os.unlink(filler)

        def resumed():
            log.seek(0)
            return "recording resumed" in log.read()
        assert wait_for(resumed, 20), "no resume"
        wait_cycles(a, 3)
        after, summary = frames(d)
        assert "(0 unreadable)" in summary, summary
        assert set(during) <= set(after) and len(after) > len(during)
        page, doc = same_cycle(a)
        time.sleep(0.3)
        assert replayed(d, doc["timestamp_ms"]).stdout == page
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        if os.path.exists(filler):
            os.unlink(filler)


def test_recording_as_the_unit_runs_it(recdir):
    """Under exactly the unit's capability bounding set, switched to nobody:
    the store is opened before the switch, segments are rotated and written
    after it (a minute's retention rotates every 1.25 s)."""
    if not shutil.which("setpriv"):
        pytest.fail("setpriv (util-linux) is missing")
    port = free_port()
    cmd = ["setpriv", "--bounding-set=-all,+bpf,+perfmon,+setuid,+setgid", "--no-new-privs",
           *agent_cmd(recdir, port, "--user=nobody", "--record.retention=1m")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    a = Agent.__new__(Agent)
    a.port, a.url, a.proc, a.record_dir = port, f"http://127.0.0.1:{port}", proc, None
    try:
        a._wait_ready("http")
        started = time.time()
        with open(f"/proc/{proc.pid}/status") as f:
            status = f.read()
        assert re.search(r"^Uid:\s+65534\s+65534\s+65534\s+65534$", status, re.M), status
        assert re.search(r"^CapEff:\s+0+$", status, re.M), status
        time.sleep(5)
        m = parse_metrics(a.get("/metrics"))
        assert series(m, "cgscope_record_errors_total", reason="io") == 0
        assert series(m, "cgscope_record_errors_total", reason="no_space") == 0
        page, doc = same_cycle(a)
        time.sleep(0.3)
        assert replayed(recdir, doc["timestamp_ms"]).stdout == page
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0]
    assert "cannot record" not in out and "recording paused" not in out, out
    # Segments begun after the switch, and written whole.
    r = run("dump", "--replay", recdir, "--list")
    segs = {}
    for l in r.stdout.splitlines()[:-1]:
        ts, seg = l.split()[0], int(l.rsplit("seg=", 1)[1].split()[0])
        segs.setdefault(seg, ts)
    assert len(segs) >= 3, r.stdout
    assert "(0 unreadable)" in r.stdout.splitlines()[-1]
    for s in os.listdir(recdir):
        st = os.stat(os.path.join(recdir, s))
        assert st.st_uid == 0, s    # made by root before the switch, written by nobody after
    assert time.time() - started > 4


def test_one_agent_per_directory(agent_factory, recdir):
    agent_factory("--interval=500ms", f"--record.dir={recdir}")
    r = subprocess.run(agent_cmd(recdir, free_port()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert re.search(r"cannot record into --record.dir .*: another process \(pid \d+\) records there", r.stderr), r.stderr


def test_a_directory_that_cannot_be_written(tmp_path):
    """A --record.dir given that cannot be written stops the start; the
    default one warns and the agent serves without recording."""
    base = tmp_path / "root-only"
    base.mkdir(mode=0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = subprocess.run([*nobody, *agent_cmd(str(base / "rec"), free_port(), "--user=nobody")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "cannot record into --record.dir" in r.stderr and "Permission denied" in r.stderr, r.stderr
    port = free_port()
    proc = subprocess.Popen([*nobody, CGSCOPE, "agent", f"--web.listen-address=127.0.0.1:{port}",
                             "--no-bpf", "--interval=200ms"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    a = Agent.__new__(Agent)
    a.port, a.url, a.proc, a.record_dir = port, f"http://127.0.0.1:{port}", proc, None
    try:
        a._wait_ready("http")
        page = a.get("/metrics")
        assert "cgscope_record_bytes" not in page
        assert "cgroup_cpu_usage_seconds_total" in page
    finally:
        out = a.stop()
    assert "not recording: the default --record.dir /var/lib/cgscope cannot be used" in out, out


def prometheus_query(url, q, t):
    with urllib.request.urlopen(f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t}),
                                timeout=10) as r:
        return json.loads(r.read())["data"]["result"]


def test_backfill_a_real_prometheus(agent_factory, cgtree, recdir, tmp_path):
    cgtree.mkdir("work")
    cgtree.spawn(BUSY, "work")
    agent = agent_factory("--interval=1s", f"--record.dir={recdir}")
    wait_cycles(agent, 8)
    agent.stop()
    om = tmp_path / "backfill.om"
    with open(om, "w") as f:
        r = subprocess.run([CGSCOPE, "export", "--replay", recdir, "--from", "10m ago",
                            "--label", "job=cgscope", "--label", "instance=node-a:9753"],
                           stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = om.read_text()
    assert text.endswith("# EOF\n")
    # Each family once and whole, each series whole, its times rising.
    fams, last_fam, series_seen, last_key, last_t = set(), None, set(), None, None
    for line in text.splitlines()[:-1]:
        if line.startswith("# TYPE "):
            name, typ = line.split()[2:4]
            assert name not in fams, f"{name} twice"
            fams.add(name)
            last_fam = name
            if typ == "counter":
                assert not name.endswith("_total")
            continue
        if line.startswith("#"):
            continue
        key, value, ts = line.rsplit(" ", 2)
        float(value)
        assert key.split("{")[0].startswith(last_fam)
        if key != last_key:
            if last_fam != "cgscope_collect_duration_seconds" and "_bucket" not in key \
                    and not key.startswith("cgroup_throttled_duration"):
                assert key not in series_seen, f"series {key} not whole"
            series_seen.add(key)
            last_key, last_t = key, None
        t = float(ts)
        assert last_t is None or t > last_t
        last_t = t
    assert "cgroup_cpu_usage_seconds counter" in text

    data = tmp_path / "data"
    r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1h\n")
    port = free_port()
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                             f"--web.listen-address=127.0.0.1:{port}",
                             "--storage.tsdb.retention.time=3650d"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        def ready():
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        assert wait_for(ready, 60)
        cycles, _ = frames(recdir)
        # Halfway between two recorded cycles: the one before is the answer.
        ts = cycles[len(cycles) // 2][1]
        t_ms = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 \
            + int(ts[20:23]) + 400
        page = replayed(recdir, t_ms).stdout
        want = series(parse_metrics(page), "cgroup_cpu_usage_seconds_total", cgroup=cgtree.rel("work"))
        assert want and want > 0
        q = f'cgroup_cpu_usage_seconds_total{{job="cgscope",instance="node-a:9753",cgroup="{cgtree.rel("work")}"}}'
        res = wait_for(lambda: prometheus_query(url, q, t_ms / 1000), 30)
        assert res, "Prometheus has no such series"
        assert float(res[0]["value"][1]) == want
        # A gauge and a label of cgroup_info too.
        res = prometheus_query(url, f'cgroup_info{{cgroup="{cgtree.rel("work")}"}}', t_ms / 1000)
        assert res and res[0]["value"][1] == "1"
    finally:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(20)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()


def test_top_replay_keys_move_through_time(agent_factory, cgtree, recdir):
    """The interactive replay in a terminal (tmux): Right and Left step one
    recorded cycle, ] jumps a minute on (here: to the last cycle), g goes
    to a typed time; the header says which cycle is shown."""
    from test_top import Tmux

    cgtree.mkdir("w")
    agent = agent_factory("--interval=200ms", f"--record.dir={recdir}")
    wait_cycles(agent, 12)
    agent.stop()
    cycles, _ = frames(recdir)
    nums = [int(c) for _, _, c in cycles]
    times = [utc_ms(ts) for _, ts, _ in cycles]
    t = Tmux()
    try:
        def shown(s):
            m = re.search(r"replay at \S+ \S+ \S+  cycle (\d+)", s)
            return int(m.group(1)) if m else None

        t.type(f"{CGSCOPE} top --replay {recdir} --at {at(times[2])}")
        t.keys("Enter")
        t.wait(lambda s: shown(s) == nums[2])
        t.keys("Right")
        t.wait(lambda s: shown(s) == nums[3])
        t.keys("Right")
        t.wait(lambda s: shown(s) == nums[4])
        t.keys("Left")
        t.wait(lambda s: shown(s) == nums[3])
        t.type("]")
        t.wait(lambda s: shown(s) == nums[-1])
        t.type("g")
        t.wait(lambda s: "go to:" in s)
        t.type(at(times[5]))
        t.keys("Enter")
        t.wait(lambda s: shown(s) == nums[5])
        # Past the end: the cycle shown stays, the status line says why.
        t.type("}")
        t.wait(lambda s: shown(s) == nums[-1])
        t.keys("Right")
        t.wait(lambda s: shown(s) == nums[-1] and "the end of the recording" in s)
        t.type("q")
        t.wait(lambda s: s.rstrip().endswith("PROMPT$"))
    finally:
        t.kill()


def normal_value(v):
    """A value as export writes it: a plain decimal (digits, at most one
    point) as its number, without the zeros that end its fraction; any other
    text as it is."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?", v)
    if not m or len(v) > 40 or len(m.group(2) or "") > 19 or int(m.group(1) + (m.group(2) or "")) >= 1 << 64:
        return v
    whole, frac = m.group(1), (m.group(2) or "").rstrip("0")
    return str(int(whole)) + ("." + frac if frac else "")


def without_le(key):
    """A histogram's series as the metric it belongs to: its name without
    _bucket, _count or _sum, its labels without le."""
    name, _, labels = key.partition("{")
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            break
    pairs = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels)
    return name, tuple(p for p in pairs if p[0] != "le")


def transposed(pages, labels=""):
    """The OpenMetrics text of pages [(time_ms, page)] in time order, as
    issue 18 says export writes it: families in the order they first
    appear, each whole; counters named without _total (those without it:
    unknown); a series' points in time order, in the order series first
    appear; a histogram's buckets, sum and count of one time together;
    labels first; # EOF."""
    fams = {}
    for t, page in pages:
        fam, helps = None, {}
        for line in page.splitlines():
            if line.startswith("# HELP "):
                name, _, text = line[7:].partition(" ")
                helps[name] = text
            elif line.startswith("# TYPE "):
                name, typ = line[7:].split(" ", 1)
                fam = fams.setdefault(name, {"type": typ, "help": helps.get(name), "series": {}})
            elif line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                fam["series"].setdefault(key, []).append((t, normal_value(value)))
    out = []
    for name, f in fams.items():
        if not f["series"]:
            continue
        typ = f["type"]
        if typ == "counter":
            if len(name) > 6 and name.endswith("_total"):
                name = name[:-6]
            else:
                typ = "unknown"
        out.append(f"# TYPE {name} {typ}")
        if f["help"] is not None:
            out.append(f"# HELP {name} " + f["help"].replace('"', '\\"'))

        def line(key, t, v):
            if labels:
                n, brace, rest = key.partition("{")
                key = n + "{" + labels + ("," + rest if brace and rest != "}" else "}")
            return f"{key} {v} {t // 1000}.{t % 1000:03d}"
        if typ not in ("histogram", "summary"):
            for key, points in f["series"].items():
                out += [line(key, t, v) for t, v in points]
            continue
        groups = {}
        for key in f["series"]:
            groups.setdefault(without_le(key), []).append(key)
        for keys in groups.values():
            at_time = {}
            for key in keys:
                for t, v in f["series"][key]:
                    at_time.setdefault(t, []).append(line(key, t, v))
            for t in sorted(at_time):
                out += at_time[t]
    return "\n".join(out + ["# EOF", ""])


@pytest.mark.parametrize("mode", ["plain", "cadvisor"])
def test_export_is_every_recorded_page(agent_factory, cgtree, recdir, mode):
    """export writes every page the agent served, as OpenMetrics: its text
    is what the pages dump --replay prints for each cycle make, transposed
    here independently, byte for byte. Cgroups come, go, work and go idle
    while it records (names that need escaping among them); every series
    of a histogram is there, each time's buckets, sum and count together;
    --step and --label too."""
    cgtree.mkdir("busy")
    cgtree.mkdir("idle")
    cgtree.mkdir("gone")
    cgtree.mkdir('q"uo\\te')
    worker = cgtree.spawn(BUSY, "busy")
    cgtree.spawn(SLEEP, "idle")
    args = ["--interval=1s", f"--record.dir={recdir}"]
    if mode == "cadvisor":
        args.append("--compat=cadvisor")
    agent = agent_factory(*args)
    wait_cycles(agent, 3)
    cgtree.rmdir("gone")
    cgtree.mkdir("new")
    cgtree.spawn(BUSY, "new")
    wait_cycles(agent, 3)
    worker.kill()
    worker.wait()
    wait_cycles(agent, 3)
    agent.stop()

    cycles, _ = frames(recdir)
    times = [utc_ms(ts) for _, ts, c in cycles if c is not None]
    assert len(times) >= 9
    pages = [(t, replayed(recdir, t).stdout) for t in times]
    assert any('cgscope_collect_duration_seconds_sum' in p for _, p in pages)
    for extra, labels, step in (((), "", None),
                                (("--step", "2s", "--label", "job=cgscope", "--label", "instance=n:1"),
                                 'job="cgscope",instance="n:1"', 2000)):
        r = run("export", "--replay", recdir, "--from", at(times[0]), "--to", at(times[-1]), *extra,
                timeout=120)
        assert r.returncode == 0, r.stderr
        want = pages
        if step:
            want, next_bucket = [], None
            for t, p in pages:
                b = (t - times[0]) // step
                if want and b < next_bucket:
                    continue
                want.append((t, p))
                next_bucket = b + 1
        expected = transposed(want, labels)
        if r.stdout != expected:
            got, exp = r.stdout.splitlines(), expected.splitlines()
            k = next((i for i, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
            raise AssertionError(f"export {' '.join(extra)} differs at line {k + 1} of {len(exp)}:\n"
                                 f"  got  {got[k] if k < len(got) else '(end)'}\n"
                                 f"  want {exp[k] if k < len(exp) else '(end)'}")
    quoted = cgtree.rel('q"uo\\te').replace("\\", "\\\\").replace('"', '\\"')
    assert f'cgroup="{quoted}"' in r.stdout or f'id="{quoted}"' in r.stdout
