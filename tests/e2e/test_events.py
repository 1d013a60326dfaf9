# SPDX-License-Identifier: GPL-2.0-only
"""`cgscope events` against this machine's kernel: the BPF programs load, and
the events of cgroups the tests make arrive with the right ids, paths and
order. Other activity on the machine produces events too: every check looks
only at the cgroups (and pids) of the test itself."""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import CGSCOPE, SLEEP, cgroup2_mount, wait_for


class Events:
    """A running `cgscope events`, its stdout and stderr read as they come."""

    def __init__(self, *args, json_lines=True, read_stdout=True, wrap=(), preexec_fn=None):
        """wrap: a command that runs cgscope (setpriv ...)."""
        if not os.access(CGSCOPE, os.X_OK):
            raise RuntimeError(f"{CGSCOPE} is not built: run make")
        self.json = json_lines
        # A ring of 16 MiB unless the test sizes it: the host's other cgroup
        # work (another session's benchmark moving 100,000 processes, say)
        # shares the ring, and a test of ordering must not lose its records
        # to it. Loss itself has a test of its own (a 4 KiB ring).
        ring = [] if "--bpf.ring-buffer-size" in args else ["--bpf.ring-buffer-size", "16MiB"]
        cmd = [*wrap, CGSCOPE, "events", *(["--json"] if json_lines else []), *ring, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace", preexec_fn=preexec_fn)
        self.lines, self.err = [], []
        self.lock = threading.Lock()
        self.readers = [threading.Thread(target=self._drain, args=(self.proc.stderr, self.err),
                                         daemon=True)]
        if read_stdout:
            self.read_stdout()
        self.readers[0].start()
        if not wait_for(lambda: self.proc.poll() is not None or self.ready(), timeout=30):
            self.stop()
            raise RuntimeError("cgscope events did not start within 30 s: " + "".join(self.err))
        if self.proc.poll() is not None:
            raise RuntimeError("cgscope events exited: " + "".join(self.err))

    def read_stdout(self):
        t = threading.Thread(target=self._drain, args=(self.proc.stdout, self.lines), daemon=True)
        self.readers.append(t)
        t.start()

    def _drain(self, f, out):
        for line in f:
            with self.lock:
                out.append(line)

    def ready(self):
        with self.lock:
            return any("msg=\"tracing: " in l for l in self.err)

    def records(self):
        with self.lock:
            lines = list(self.lines)
        return [json.loads(l) for l in lines] if self.json else lines

    def wait(self, pred, timeout=10):
        """The records so far once pred(records) is true (or the last ones)."""
        return wait_for(lambda: (lambda r: r if pred(r) else None)(self.records()),
                        timeout=timeout) or self.records()

    def hooks(self):
        with self.lock:
            line = next(l for l in self.err if "msg=\"tracing: " in l)
        words = line.split("tracing: ", 1)[1].split(";")[0].split()
        return dict(w.split("=", 1) for w in words)

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self.readers:
            t.join(5)
        return self.proc.returncode


@pytest.fixture
def events_factory():
    started = []

    def start(*args, **kw):
        e = Events(*args, **kw)
        started.append(e)
        return e
    try:
        yield start
    finally:
        for e in started:
            e.stop()


def own_cgroup_ino():
    """The cgroup2 inode of this test process: where its children start."""
    with open("/proc/self/cgroup") as f:
        rel = next(l for l in f if l.startswith("0::")).strip()[3:]
    return os.stat(cgroup2_mount() + rel).st_ino


def subsequence(records, wanted):
    """Index in records of each predicate of wanted, matched in order; the
    list stops at the first one never matched."""
    found, i = [], 0
    for pred in wanted:
        while i < len(records) and not pred(records[i]):
            i += 1
        if i == len(records):
            break
        found.append(i)
        i += 1
    return found


def test_lifecycle_migration_freeze_in_order(cgtree, events_factory):
    ev = events_factory()
    hooks = ev.hooks()
    # On this kernel every feature but the OOM domain and throttling has a
    # BPF hook; throttling falls back to the agent's cpu.stat polling.
    for feature in ("migration", "lifecycle", "freeze", "oom"):
        assert hooks[feature] in ("tp_btf", "raw_tp", "tracepoint"), hooks
    assert hooks["throttle"] in ("fentry", "kprobe", "poll"), hooks

    root_ino = cgtree.ino()
    cgtree.mkdir("a")
    a_ino, a_path = cgtree.ino("a"), cgtree.rel("a")
    child = cgtree.spawn(SLEEP, "a")
    with open(os.path.join(cgtree.path, "a", "cgroup.freeze"), "w") as f:
        f.write("1")
    assert wait_for(lambda: "frozen 1" in open(os.path.join(cgtree.path, "a", "cgroup.events")).read())
    with open(os.path.join(cgtree.path, "a", "cgroup.freeze"), "w") as f:
        f.write("0")
    cgtree.move(child.pid)                       # out, into the test's own directory
    child.kill()
    child.wait()
    assert wait_for(lambda: "populated 0" in open(os.path.join(cgtree.path, "a", "cgroup.events")).read())
    cgtree.rmdir("a")

    def on_a(type_, **fields):
        return lambda r: (r["type"] == type_ and r.get("cgroup_id") == a_ino and
                          all(r.get(k) == v for k, v in fields.items()))

    def moved(dst, **fields):
        return lambda r: (r["type"] == "migration" and r.get("pid") == child.pid and
                          r.get("cgroup_id") == dst and
                          all(r.get(k) == v for k, v in fields.items()))

    wanted = [
        on_a("mkdir", path=a_path, level=2),
        on_a("populated", populated=True),
        moved(a_ino, path=a_path, level=2, src_cgroup_id=own_cgroup_ino(),
              threadgroup=True),
        on_a("freeze", path=a_path),
        on_a("frozen", frozen=True),
        on_a("unfreeze", path=a_path),
        on_a("frozen", frozen=False),
        # the kernel flips populated during the move, before tracing it
        on_a("populated", populated=False),
        moved(root_ino, path=cgtree.rel(), level=1, src_cgroup_id=a_ino),
        on_a("rmdir", path=a_path, level=2),
    ]
    records = ev.wait(lambda r: len(subsequence(r, wanted)) == len(wanted))
    found = subsequence(records, wanted)
    mine = [r for r in records if r.get("cgroup_id") in (a_ino, root_ino)]
    assert len(found) == len(wanted), \
        f"matched {len(found)} of {len(wanted)} in order; our records: {mine}"

    # release comes once the kernel frees the cgroup, some time after rmdir.
    records = ev.wait(lambda r: any(on_a("release")(x) for x in r))
    assert any(on_a("release", path=a_path)(r) for r in records)

    # Every record: ids exact, a sequence, a time, the hook that made it.
    for r in mine:
        assert r["source"] in ("tp_btf", "raw_tp", "tracepoint")
        assert r["time"].endswith("Z") and r["ktime_ns"] > 0
    # "lost" lines (records the ring had no room for) carry no sequence.
    numbered = [r for r in records if r["type"] != "lost"]
    assert [r["seq"] for r in numbered] == list(range(1, len(numbered) + 1))
    assert ev.stop() == 0
    assert any("events printed" in l for l in ev.err)


def test_text_lines(cgtree, events_factory):
    ev = events_factory("--type", "lifecycle", json_lines=False)
    cgtree.mkdir("t")
    ino, path = cgtree.ino("t"), cgtree.rel("t")
    cgtree.rmdir("t")
    lines = ev.wait(lambda ls: any(f"rmdir" in l and f"(id {ino})" in l for l in ls))
    mine = [l for l in lines if f"(id {ino})" in l]
    assert any(" mkdir " in l and f" {path} (id {ino})" in l and l.rstrip().endswith("]")
               for l in mine), mine
    assert any(" rmdir " in l for l in mine), mine
    # --type lifecycle: nothing but lifecycle types
    for l in lines:
        assert l.split()[1] in ("mkdir", "rmdir", "release", "rename"), l


@pytest.mark.parametrize("deny,expect", [("tp_btf", "raw_tp")])
def test_fallback_when_a_hook_is_denied(cgtree, events_factory, deny, expect):
    ev = events_factory("--deny-hook", deny, "--type", "lifecycle,migration")
    hooks = ev.hooks()
    assert hooks["lifecycle"] == expect and hooks["migration"] == expect, hooks
    cgtree.mkdir("f")
    ino = cgtree.ino("f")
    child = cgtree.spawn(SLEEP, "f")
    records = ev.wait(lambda rs: any(r["type"] == "migration" and r.get("cgroup_id") == ino
                                     for r in rs))
    mine = [r for r in records if r.get("cgroup_id") == ino and r["type"] != "populated"]
    assert [r["type"] for r in mine] == ["mkdir", "migration"], mine
    assert all(r["source"] == expect for r in mine)
    assert mine[1]["pid"] == child.pid and mine[1]["path"] == cgtree.rel("f")


def test_loss_is_counted_and_the_stream_goes_on(cgtree, events_factory):
    """A one-page ring buffer and a reader that stops reading: the writer
    blocks on the full pipe, the ring fills, and the kernel side drops and
    counts what does not fit. Reported in the stream as type "lost"."""
    ev = events_factory("--bpf.ring-buffer-size", "4096", "--type", "migration,mkdir",
                        read_stdout=False)
    cgtree.mkdir("x")
    cgtree.mkdir("y")
    ids = {cgtree.ino("x"), cgtree.ino("y")}
    child = cgtree.spawn(SLEEP)
    moves = 3000
    for i in range(moves):
        cgtree.move(child.pid, "x" if i % 2 == 0 else "y")
    ev.read_stdout()                             # the reader is back

    def accounted(records):
        delivered = sum(1 for r in records
                        if r["type"] == "migration" and r.get("cgroup_id") in ids)
        lost = [r for r in records if r["type"] == "lost"]
        return delivered, lost, sum(r["lost"] for r in lost)

    # Every move is either delivered or counted as lost (others' migrations
    # may be among the lost: hence >=). "lost" lines come once a second.
    records = ev.wait(lambda rs: sum(accounted(rs)[::2]) >= moves, timeout=15)
    delivered, lost, total = accounted(records)
    assert lost, "no lost record reported"
    assert delivered + total >= moves, (delivered, total)
    assert total == lost[-1]["lost_total"] and 0 < total and delivered < moves
    assert lost[0]["ring_buffer_bytes"] == 4096
    cgtree.mkdir("after")
    after = cgtree.ino("after")
    records = ev.wait(lambda rs: any(r.get("cgroup_id") == after for r in rs))
    # ... and events after the overflow still arrive.
    assert any(r["type"] == "mkdir" and r.get("cgroup_id") == after for r in records)
    assert ev.stop(signal.SIGTERM) == 0
    summary = [l for l in ev.err if "events printed" in l]
    assert summary, ev.err
    assert int(summary[-1].split(" events printed, ")[1].split()[0]) >= total


def memory_limited_cgroup(cgtree, name, limit):
    """A cgroup whose memory is limited: a child of the test's cgroup2
    directory when the memory controller is there, else a directory of its
    own in the v1 memory hierarchy of a hybrid host, below the memcg this
    test runs in. Returns (cgroup.procs files to write a pid to, cleanup)."""
    v2 = cgtree.mkdir(name)
    with open(os.path.join(cgtree.path, "cgroup.controllers")) as f:
        if "memory" in f.read().split():
            with open(os.path.join(cgtree.path, "cgroup.subtree_control"), "w") as f:
                f.write("+memory")
            with open(os.path.join(v2, "memory.max"), "w") as f:
                f.write(str(limit))
            try:                                  # only with swap accounting
                with open(os.path.join(v2, "memory.swap.max"), "w") as f:
                    f.write("0")
            except FileNotFoundError:
                pass
            return [os.path.join(v2, "cgroup.procs")], lambda: None
    v1_root = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup" and "memory" in right.split()[2].split(","):
                v1_root = left.split()[4]
    # The VM harness covers OOM kills on pure cgroup v2; a host with the
    # memory controller nowhere cannot run this test at all.
    assert v1_root, "no memory controller on this host"
    with open("/proc/self/cgroup") as f:
        own = next(l.split(":", 2)[2].strip() for l in f if l.split(":")[1] == "memory")
    v1 = os.path.join(v1_root + own, os.path.basename(cgtree.path) + "-" + name)
    os.mkdir(v1)
    with open(os.path.join(v1, "memory.limit_in_bytes"), "w") as f:
        f.write(str(limit))

    def cleanup():
        for _ in range(50):
            try:
                os.rmdir(v1)
                return
            except OSError:
                time.sleep(0.1)
    return [os.path.join(v1, "cgroup.procs"), os.path.join(v2, "cgroup.procs")], cleanup


def test_oom_kill_names_the_victim_and_its_cgroup(cgtree, events_factory):
    procs, cleanup = memory_limited_cgroup(cgtree, "oom", 32 << 20)
    try:
        ev = events_factory("--type", "oom")
        # The shell moves itself, then becomes python: the victim's pid is
        # the shell's.
        script = "".join(f'echo $$ > "{p}"; ' for p in procs)
        victim = subprocess.Popen(
            ["sh", "-c", script + 'exec python3 -c "x = bytearray(64 << 20)"'])
        assert victim.wait(30) == -signal.SIGKILL
        records = ev.wait(lambda rs: any(r["type"] == "oom_kill" and r["pid"] == victim.pid
                                         for r in rs))
        oom = [r for r in records if r["type"] == "oom_kill" and r["pid"] == victim.pid]
        assert oom, records
        r = oom[0]
        assert r["comm"] == "python3" and r["tgid"] == victim.pid
        assert r["cgroup_id"] == cgtree.ino("oom") and r["path"] == cgtree.rel("oom")
        # The figures the kernel's own "Killed process" line gives, in bytes:
        # about 32 MiB of anonymous memory, the limit.
        assert 16 << 20 < r["anon_rss_bytes"] <= 33 << 20, r
        assert r["total_vm_bytes"] > r["anon_rss_bytes"]
        assert r["pgtables_bytes"] > 0 and r["oom_score_adj"] == 0 and r["uid"] == 0
        assert r["oom_scope"] in ("unknown", "memcg")
    finally:
        cleanup()


def test_not_root_says_so_and_fails():
    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    r = subprocess.run([CGSCOPE, "events"], capture_output=True, text=True, timeout=30,
                       preexec_fn=drop)
    assert r.returncode != 0
    assert "cannot load BPF programs" in r.stderr and "root" in r.stderr
    assert r.stdout == ""
