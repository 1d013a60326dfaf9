# SPDX-License-Identifier: GPL-2.0-only
"""Shared fixtures of the end-to-end tests.

They run the real build/cgscope against the machine's real cgroup2 tree. Every
cgroup a test makes lives under one unique directory that the `cgtree`
fixture creates and removes (children first, processes killed by PID), also
when the test fails.
"""
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# CGSCOPE_BIN runs the suite against another build (make test-asan: build/asan/cgscope).
CGSCOPE = os.path.join(ROOT, os.environ.get("CGSCOPE_BIN") or os.path.join("build", "cgscope"))


def cgroup2_mount():
    """The cgroup2 mount point, from /proc/self/mountinfo (never assumed)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    raise RuntimeError("no cgroup2 mount in /proc/self/mountinfo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CgroupTree:
    """A unique directory in the cgroup2 tree that holds all of a test's cgroups."""

    def __init__(self):
        self.mount = cgroup2_mount()
        self.name = "cgscope-test-" + uuid.uuid4().hex[:8]
        self.path = os.path.join(self.mount, self.name)
        self.procs = []
        os.mkdir(self.path)

    def rel(self, *parts):
        """The cgroup's path as cgscope labels it: below the cgroup2 root."""
        return "/" + "/".join((self.name,) + parts)

    def mkdir(self, *parts):
        p = os.path.join(self.path, *parts)
        os.mkdir(p)
        return p

    def rmdir(self, *parts):
        os.rmdir(os.path.join(self.path, *parts))

    def spawn(self, cmd, *parts):
        """Start a child (busy loop by default) and move it into the cgroup."""
        proc = subprocess.Popen(cmd)
        self.procs.append(proc)
        if parts:
            self.move(proc.pid, *parts)
        return proc

    def move(self, pid, *parts):
        with open(os.path.join(self.path, *parts, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def ino(self, *parts):
        return os.stat(os.path.join(self.path, *parts)).st_ino

    def cleanup(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        # Deepest first; a cgroup empties a moment after its last task exits.
        for _ in range(50):
            dirs = [d for d, _, _ in os.walk(self.path, topdown=False)]
            if not dirs:
                return
            for d in dirs:
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            if not os.path.exists(self.path):
                return
            time.sleep(0.1)


DEFAULT_RECORD_DIR = "/var/lib/cgscope"


@pytest.fixture(scope="session", autouse=True)
def no_default_recording():
    """No test records into the machine's default --record.dir: an agent a
    test starts without --record.dir (or with a manifest's) would write the
    service's history, as root, outside the test's own directories."""
    before = os.path.exists(DEFAULT_RECORD_DIR)
    yield
    if not before and os.path.exists(DEFAULT_RECORD_DIR):
        shutil.rmtree(DEFAULT_RECORD_DIR, ignore_errors=True)
        pytest.fail(f"a test recorded into {DEFAULT_RECORD_DIR}: pass --record.dir= or a directory of its own")


@pytest.fixture
def cgtree():
    tree = CgroupTree()
    try:
        yield tree
    finally:
        tree.cleanup()


BUSY = ["sh", "-c", "while :; do :; done"]
SLEEP = ["sleep", "3600"]


class Agent:
    def __init__(self, *args, health_url="http", nofile=None, wrap=(), preexec_fn=None):
        """nofile: the agent's RLIMIT_NOFILE, soft and hard; wrap: a command
        that runs the agent (setpriv ... to start it with fewer capabilities);
        preexec_fn: run in the child before the agent (a seccomp filter)."""
        if not os.access(CGSCOPE, os.X_OK):
            raise RuntimeError(f"{CGSCOPE} is not built: run make")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) \
            if nofile else preexec_fn
        # Every agent records, as a service does, into a directory of its
        # own (never the machine's /var/lib/cgscope), unless told where.
        self.record_dir = None
        if not any(str(a).startswith("--record.dir") for a in args):
            self.record_dir = tempfile.mkdtemp(prefix="cgscope-rec-")
            args = (*args, f"--record.dir={self.record_dir}")
        self.proc = subprocess.Popen(
            [*wrap, CGSCOPE, "agent", f"--web.listen-address=127.0.0.1:{self.port}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=limit)
        try:
            self._wait_ready(health_url)
        except BaseException:
            self.stop()	# never leave an agent behind
            raise

    def _wait_ready(self, health_url):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("agent exited: " + self.proc.stdout.read())
            try:
                if health_url == "http":
                    self.get("/healthz")
                else:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("agent did not answer /healthz within 20 s")

    def get(self, path, headers=None):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.record_dir:
            shutil.rmtree(self.record_dir, ignore_errors=True)
            self.record_dir = None
        return self.proc.stdout.read()


@pytest.fixture
def agent_factory():
    started = []

    def start(*args, **kw):
        a = Agent(*args, **kw)
        started.append(a)
        return a
    try:
        yield start
    finally:
        for a in started:
            a.stop()


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} of a Prometheus text page.
    Lines end at a newline only: a label value may hold a carriage return or
    another character str.splitlines() breaks at (a cgroup named so on the
    machine, by any test)."""
    out = {}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            labels_s, _, value = rest.rpartition("} ")
            labels = {}
            i = 0
            while i < len(labels_s):
                eq = labels_s.index("=", i)
                key = labels_s[i:eq]
                j = eq + 2
                val = []
                while labels_s[j] != '"':
                    if labels_s[j] == "\\":
                        j += 1
                        val.append({"n": "\n"}.get(labels_s[j], labels_s[j]))
                    else:
                        val.append(labels_s[j])
                    j += 1
                labels[key] = "".join(val)
                i = j + 2
        else:
            name, value = line.split(" ", 1)
            labels = {}
        out[(name, frozenset(labels.items()))] = float(value.split()[0])
    return out


def series(metrics, name, **labels):
    """The value of one series, or None."""
    return metrics.get((name, frozenset(labels.items())))


def wait_for(fn, timeout=10.0, interval=0.2):
    """Polls fn until it returns a true value; returns that value or the last one."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(interval)
