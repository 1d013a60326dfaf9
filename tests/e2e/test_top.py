# SPDX-License-Identifier: GPL-2.0-only
"""`cgscope top`: batch frames against this machine's cgroupfs and the fixture
trees, the interactive view driven in tmux, and --url against a running agent."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUSY, CGSCOPE, ROOT, SLEEP, wait_for

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "cgroupfs")
COLUMNS = ["Tasks", "%CPU", "%Thr", "Memory", "%Max", "PSI-M", "Read/s",
           "Write/s", "Rx/s", "Tx/s", "OOM", "High+", "Max+"]


def top(*args, timeout=60):
    r = subprocess.run([CGSCOPE, "top", "-b", *args], capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def parse_frames(text):
    """Each batch frame as {"header": [lines], "rows": [(path, {column: text})]},
    rows in the order shown."""
    frames, cur, in_rows = [], None, False
    for line in text.splitlines():
        if line.startswith("cgscope top"):
            cur = {"header": [line], "rows": []}
            frames.append(cur)
            in_rows = False
        elif cur is None:
            continue
        elif line.startswith("Path "):
            in_rows = True
        elif in_rows and line.strip():
            parts = line.split()
            cur["rows"].append((" ".join(parts[:-len(COLUMNS)]),
                                dict(zip(COLUMNS, parts[-len(COLUMNS):]))))
        else:
            in_rows = False
            cur["header"].append(line)
    return frames


def rows(frame):
    return dict(frame["rows"])


def usage_usec(path):
    with open(os.path.join(path, "cpu.stat")) as f:
        return int(f.readline().split()[1])


def test_batch_real_cgroupfs(cgtree):
    cgtree.mkdir("zbusy")
    cgtree.mkdir("idle")
    cgtree.mkdir("idle", "deep")
    cgtree.spawn(BUSY, "zbusy")
    cgtree.spawn(SLEEP, "idle", "deep")
    busy_dir = os.path.join(cgtree.path, "zbusy")

    # CPU %: each frame's value against cpu.stat read when the frame arrives.
    proc = subprocess.Popen([CGSCOPE, "top", "-b", "-n", "4", "-d", "1", "--flat",
                             "--cgroup-root", cgtree.path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    out, samples = [], []
    try:
        for line in proc.stdout:
            if line.startswith("cgscope top"):
                samples.append((time.monotonic(), usage_usec(busy_dir)))
            out.append(line)
        assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    frames = parse_frames("".join(out))
    assert len(frames) == 4 and len(samples) == 4
    got = [float(rows(f)["/zbusy"]["%CPU"]) for f in frames[1:]]
    (t0, u0), (t1, u1) = samples[0], samples[-1]
    want = (u1 - u0) / 1e4 / (t1 - t0)
    # A busy loop uses a whole core unless the machine is loaded; whatever
    # it got, top must say what cpu.stat says. Over three frames, so that
    # when the test reads a frame matters little.
    assert abs(sum(got) / len(got) - want) <= max(10.0, 0.2 * want), (got, want)
    assert all(g > 1 for g in got), got

    last = frames[-1]
    r = rows(last)
    assert set(r) == {"/", "/zbusy", "/idle", "/idle/deep"}
    # Tasks: processes of the cgroup and its descendants (no pids.current here).
    assert r["/zbusy"]["Tasks"] == "1"
    assert r["/idle"]["Tasks"] == "1"
    assert r["/idle/deep"]["Tasks"] == "1"
    assert float(r["/idle"]["%CPU"]) < 5
    # Sorted by CPU: the busy cgroup comes first below the root (which holds it).
    order = [p for p, _ in last["rows"] if p != "/"]
    assert order[0] == "/zbusy", order
    assert "sort cpu" in last["header"][1]

    # Another key, and reversed.
    f = parse_frames(top("-n", "1", "--flat", "--sort", "path", "--cgroup-root", cgtree.path))[0]
    assert [p for p, _ in f["rows"]] == ["/", "/idle", "/idle/deep", "/zbusy"]
    f = parse_frames(top("-n", "1", "--flat", "--sort", "path", "-r", "--cgroup-root", cgtree.path))[0]
    assert [p for p, _ in f["rows"]] == ["/zbusy", "/idle/deep", "/idle", "/"]

    # --depth hides deeper rows.
    f = parse_frames(top("-n", "1", "--flat", "--depth", "1", "--cgroup-root", cgtree.path))[0]
    assert set(rows(f)) == {"/", "/zbusy", "/idle"}

    # A tree indents by depth and shows names.
    f = top("-n", "1", "--tree", "--cgroup-root", cgtree.path)
    assert re.search(r"^  idle +\d", f, re.M) and re.search(r"^    deep +\d", f, re.M), f


def top_real_root(*args):
    """A frame of the whole cgroup2 tree."""
    r = subprocess.run([CGSCOPE, "top", "-b", "-n", "1", "-d", "0.2", "--flat", *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Too many open files" not in r.stderr, r.stderr
    return rows(parse_frames(r.stdout)[0])


def test_batch_real_root_depth(cgtree):
    cgtree.mkdir("zbusy")
    cgtree.mkdir("idle")
    cgtree.mkdir("idle", "deep")
    cgtree.spawn(BUSY, "zbusy")
    # The test's cgroups sit one level below the root of the real tree.
    r = top_real_root("--depth", "2")
    assert cgtree.rel("zbusy") in r and cgtree.rel("idle") in r
    assert cgtree.rel("idle", "deep") not in r
    assert all(p.count("/") <= 2 for p in r), [p for p in r if p.count("/") > 2]
    assert float(r[cgtree.rel("zbusy")]["%CPU"]) > 1
    r = top_real_root("--depth", "3")
    assert cgtree.rel("idle", "deep") in r


def frames_around(cmd, action):
    """Runs top in batch mode, calls action() once the first frame is out, and
    returns the text of all frames."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1)
    out, acted = [], False
    try:
        for line in proc.stdout:
            if line.startswith("Events") and not acted:
                action()
                acted = True
            out.append(line)
        assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert acted, "".join(out)
    return "".join(out)


def test_batch_events_local(cgtree):
    """Without an agent, events are what changed between two snapshots."""
    cgtree.mkdir("old")
    text = frames_around([CGSCOPE, "top", "-b", "-n", "3", "-d", "0.5", "--flat",
                          "--cgroup-root", cgtree.path],
                         lambda: (cgtree.mkdir("new"), cgtree.rmdir("old")))
    first, later = text.split("\nEvents", 1)[0], text.split("\nEvents", 1)[1]
    assert "BPF events: off (derived from snapshots)" in first
    assert re.search(r"^\d\d:\d\d:\d\d  mkdir +/new$", later, re.M), text
    assert re.search(r"^\d\d:\d\d:\d\d  rmdir +/old$", later, re.M), text


def test_batch_fixture_trees():
    v2 = os.path.join(FIXTURES, "linux-6.1-v2")
    out = top("-n", "1", "--flat", "--cgroup-root", v2)
    f = parse_frames(out)[0]
    w = rows(f)["/workload"]
    # The fixture's files: pids.current 2, memory.current 561152 of
    # memory.max 29999104, memory.pressure some avg10=5.14, oom_kill 1.
    assert w["Tasks"] == "2"
    assert w["Memory"] == "548.0K"
    assert w["%Max"] == "1.9"
    assert w["PSI-M"] == "5.14"
    assert w["OOM"] == "1"
    # Nothing changes between two reads of a captured tree.
    assert w["%CPU"] == "0.0" and w["%Thr"] == "0.0"
    assert w["Read/s"] == "0B" and w["High+"] == "0"
    assert "2 cgroups" in f["header"][1] and "memory 548.0K" in f["header"][1]
    assert "root " + v2 in f["header"][0]
    # The root cgroup has no memory.current nor memory.events.
    assert rows(f)["/"]["Memory"] == "-" and rows(f)["/"]["OOM"] == "-"

    f = parse_frames(top("-n", "1", "--flat", "--raw", "--cgroup-root", v2))[0]
    assert rows(f)["/workload"]["Memory"] == "561152"

    # This machine's kind of host: no memory, io or pids on cgroup v2.
    hy = os.path.join(FIXTURES, "linux-6.18-hybrid")
    f = parse_frames(top("-n", "1", "--flat", "--cgroup-root", hy))[0]
    w = rows(f)["/workload"]
    assert w["%CPU"] == "0.0"
    for col in ("%Thr", "Memory", "%Max", "Read/s", "Write/s", "OOM", "High+", "Max+"):
        assert w[col] == "-", (col, w)
    assert set(rows(f)) == {"/", "/workload", "/workload/child"}


def test_bad_flags():
    for args in (["--sort", "nope"], ["-n", "0"], ["-d", "x"], ["--depth", "-1"],
                 ["--url", "ftp://h:1"], ["--url", "http://h", "--cgroup-root", "/"]):
        r = subprocess.run([CGSCOPE, "top", "-b", *args], capture_output=True, text=True)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
    r = subprocess.run([CGSCOPE, "top", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for word in ("--batch", "-n", "--delay", "--depth", "--sort", "--url", "--cgroup-root",
                 "--flat", "--raw", "Keys:", " q"):
        assert word in r.stdout, word
    r = subprocess.run([CGSCOPE, "top", "-b", "-n", "1", "--cgroup-root", "/nonexistent"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "/nonexistent" in r.stderr


class Tmux:
    """A tmux server of the test's own (its own socket), one shell in one pane."""

    def __init__(self, width=160, height=40):
        assert shutil.which("tmux"), "tmux is not installed (make deps installs it)"
        # A socket of our own: the server and its socket go with the test.
        self.dir = tempfile.mkdtemp(prefix="cgscope-tmux-")
        self.sock = os.path.join(self.dir, "sock")
        subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(width), "-y", str(height),
                        "env PS1='PROMPT$ ' TERM=xterm-256color bash --norc --noprofile"],
                       check=True)
        assert wait_for(lambda: "PROMPT$" in self.capture()), self.capture()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True,
                              text=True, check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "0", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "0", "-l", text)

    def capture(self):
        return self.tmux("capture-pane", "-p", "-t", "0")

    def wait(self, pred, timeout=10.0):
        screen = wait_for(lambda: (lambda s: s if pred(s) else None)(self.capture()), timeout)
        assert screen, "screen never matched:\n" + self.capture()
        return screen

    def child_pid(self):
        shell = self.tmux("list-panes", "-t", "0", "-F", "#{pane_pid}").strip()
        with open(f"/proc/{shell}/task/{shell}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None

    def kill(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def tmux():
    t = Tmux()
    try:
        yield t
    finally:
        t.kill()


def screen_order(screen, names):
    """The names in the order their rows appear on the screen."""
    found = []
    for line in screen.splitlines():
        word = line.split()[0] if line.split() else ""
        if word in names:
            found.append(word)
    return found


def assert_terminal_restored(tmux, exit_code):
    # The alternate screen is gone: the shell is back, not the frame.
    screen = tmux.wait(lambda s: s.rstrip().endswith("PROMPT$"))
    assert "Path " not in screen and "BPF events" not in screen, screen
    tmux.type(f"echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -e '-?(icanon|echo)'")
    tmux.keys("Enter")
    screen = tmux.wait(lambda s: "EXIT=" in s and s.rstrip().endswith("PROMPT$"))
    assert f"EXIT={exit_code}" in screen, screen
    lines = [line.strip() for line in screen.split("\n")]
    assert "icanon" in lines and "echo" in lines, screen


def test_interactive_tmux(cgtree, tmux):
    cgtree.mkdir("zbusy")
    cgtree.mkdir("idle")
    cgtree.spawn(BUSY, "zbusy")

    tmux.type(f"{CGSCOPE} top -d 0.5 --cgroup-root {cgtree.path}")
    tmux.keys("Enter")
    screen = tmux.wait(lambda s: "Path " in s and "idle" in s
                       and re.search(r"zbusy +\d+ +[1-9]", s))
    assert "sort cpu" in screen and "tree" in screen
    assert screen_order(screen, {"zbusy", "idle"}) == ["zbusy", "idle"]

    # p: by path; p again: reversed.
    tmux.type("p")
    screen = tmux.wait(lambda s: "sort path" in s and "reversed" not in s)
    assert screen_order(screen, {"zbusy", "idle"}) == ["idle", "zbusy"]
    tmux.type("p")
    screen = tmux.wait(lambda s: "sort path (reversed)" in s)
    assert screen_order(screen, {"zbusy", "idle"}) == ["zbusy", "idle"]
    # d: flat list of full paths.
    tmux.type("d")
    screen = tmux.wait(lambda s: "flat" in s and "/zbusy" in s)

    # /: a filter, applied as it is typed and kept with Enter.
    tmux.type("/zb")
    tmux.keys("Enter")
    screen = tmux.wait(lambda s: "filter: zb" in s and "/idle" not in s)
    assert "/zbusy" in screen
    # Esc while editing gives the old filter back.
    tmux.type("/x")
    tmux.wait(lambda s: "filter: zbx_" in s)
    tmux.keys("Escape")
    screen = tmux.wait(lambda s: "filter: zb " in s and "/zbusy" in s)

    # A smaller window: the frame is drawn again to fit, header on top and
    # the events pane at the bottom.
    tmux.tmux("resize-window", "-t", "0", "-x", "100", "-y", "20")
    screen = tmux.wait(lambda s: s.startswith("cgscope top") and len(s.splitlines()) <= 20
                       and any(line.startswith("Events") for line in s.splitlines()[12:]))
    assert "/zbusy" in screen

    tmux.type("q")
    assert_terminal_restored(tmux, 0)


def test_interactive_signals_restore_terminal(tmux):
    fixture = os.path.join(FIXTURES, "linux-6.1-v2")
    tmux.type("ulimit -c 0")  # the crash must not leave a core file behind
    tmux.keys("Enter")
    for sig, code in ((signal.SIGINT, 0), (signal.SIGTERM, 0), (signal.SIGSEGV, 128 + signal.SIGSEGV)):
        tmux.type(f"{CGSCOPE} top --cgroup-root {fixture}")
        tmux.keys("Enter")
        tmux.wait(lambda s: "Path " in s and "workload" in s)
        pid = tmux.child_pid()
        assert pid
        if sig == signal.SIGINT:
            tmux.keys("C-c")
        else:
            os.kill(pid, sig)
        assert_terminal_restored(tmux, code)
        tmux.type("clear")
        tmux.keys("Enter")


def test_url_matches_local(cgtree, agent_factory):
    cgtree.mkdir("zbusy")
    cgtree.mkdir("idle")
    cgtree.mkdir("idle", "deep")
    cgtree.spawn(BUSY, "zbusy")
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}")

    local = parse_frames(top("-n", "1", "--flat", "--cgroup-root", cgtree.path))[0]
    remote = parse_frames(top("-n", "1", "--flat", "--url", agent.url))[0]
    assert set(rows(remote)) == set(rows(local)) == {"/", "/zbusy", "/idle", "/idle/deep"}
    assert "root " + agent.url in remote["header"][0]
    # Both have rates (the agent's from its last two cycles). How much CPU
    # the busy loop got in either window depends on the machine's load.
    for view in (local, remote):
        for path, cols in view["rows"]:
            assert re.fullmatch(r"\d+\.\d", cols["%CPU"]), (path, cols)
    assert rows(remote)["/idle/deep"]["Memory"] == rows(local)["/idle/deep"]["Memory"]
    # The events pane shows the agent's events as they come (BPF, or what
    # the agent derives without it).
    text = frames_around([CGSCOPE, "top", "-b", "-n", "4", "-d", "0.5", "--flat",
                          "--url", agent.url], lambda: cgtree.mkdir("new"))
    assert "Events: unavailable" not in text, text
    assert re.search(r"^\d\d:\d\d:\d\d  mkdir +\S*/new\b", text, re.M), text
    # live or off when the agent's status names its hooks.
    assert re.search(r"BPF events: (live \(agent\)|off \(agent\)|unknown)", text), text

    # --depth and --sort apply the same way to the agent's snapshot.
    remote = parse_frames(top("-n", "1", "--flat", "--depth", "1", "--sort", "path",
                              "--url", agent.url))[0]
    assert [p for p, _ in remote["rows"]] == ["/", "/idle", "/new", "/zbusy"]


def top_run(*args, env=None):
    full = dict(os.environ)
    for k in ("CGSCOPE_AUTH", "CGSCOPE_AUTH_FILE", "CGSCOPE_CA_FILE", "CGSCOPE_CERT_FILE", "CGSCOPE_KEY_FILE"):
        full.pop(k, None)
    full.update(env or {})
    return subprocess.run([CGSCOPE, "top", "-b", "-n", "1", "--depth", "0", *args], capture_output=True,
                          text=True, timeout=60, env=full)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def test_url_behind_tls_and_basic_auth(tmp_path, agent_factory):
    """top --url reads an agent with TLS, client certificates and basic auth:
    credentials from the URL, CGSCOPE_AUTH or CGSCOPE_AUTH_FILE, the CA from
    CGSCOPE_CA_FILE; a refusal says which; the password is never shown; the
    header names the agent's kernel."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    for name, subj, ext in (("server", "/CN=cgscope", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("ca", "/CN=clients", None)):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", str(tmp_path / f"{name}.key"))
        openssl("req", "-x509", "-new", "-key", str(tmp_path / f"{name}.key"), "-days", "2", "-subj", subj,
                *(["-addext", ext] if ext else []), "-out", str(tmp_path / f"{name}.crt"))
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(tmp_path / "top.key"))
    openssl("req", "-new", "-key", str(tmp_path / "top.key"), "-subj", "/CN=top", "-out", str(tmp_path / "top.csr"))
    openssl("x509", "-req", "-in", str(tmp_path / "top.csr"), "-CA", str(tmp_path / "ca.crt"),
            "-CAkey", str(tmp_path / "ca.key"), "-CAcreateserial", "-days", "2", "-out", str(tmp_path / "top.crt"))
    h = crypt.crypt("p@ss:word", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    users = f"basic_auth_users:\n  alice: '{h}'\n"
    tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
    (tmp_path / "auth.yml").write_text(users)
    (tmp_path / "tls.yml").write_text(tls + users)
    (tmp_path / "mtls.yml").write_text(tls + "  client_auth_type: RequireAndVerifyClientCert\n"
                                       "  client_ca_file: ca.crt\n" + users)
    (tmp_path / "creds").write_text("alice:p@ss:word\n")
    kernel = os.uname().release
    ca = {"CGSCOPE_CA_FILE": str(tmp_path / "server.crt")}

    # Basic auth over plain HTTP.
    agent = agent_factory(f"--web.config.file={tmp_path / 'auth.yml'}", "--no-bpf", health_url="tcp")
    hostport = f"127.0.0.1:{agent.port}"
    r = top_run("--url", agent.url)
    assert r.returncode == 1 and "401: the agent asks for a user and password" in r.stderr, r.stderr
    r = top_run("--url", f"http://alice:wrong@{hostport}")
    assert r.returncode == 1 and "401: the agent refused the user and password given" in r.stderr, r.stderr
    for args, env in (((f"http://alice:p%40ss%3Aword@{hostport}",), None),
                      ((f"http://alice:p@ss:word@{hostport}",), None),
                      ((agent.url,), {"CGSCOPE_AUTH": "alice:p@ss:word"}),
                      ((agent.url,), {"CGSCOPE_AUTH_FILE": str(tmp_path / "creds")})):
        r = top_run("--url", *args, env=env)
        assert r.returncode == 0, (args, env, r.stderr)
        header = parse_frames(r.stdout)[0]["header"][0]
        assert f"kernel {kernel} " in header, header
        assert "p@ss" not in r.stdout + r.stderr and "p%40ss" not in r.stdout + r.stderr
    assert f"root http://alice@{hostport}" in parse_frames(top_run(
        "--url", f"http://alice:p%40ss%3Aword@{hostport}").stdout)[0]["header"][0]
    r = top_run("--url", agent.url, env={"CGSCOPE_AUTH_FILE": str(tmp_path / "missing")})
    assert r.returncode == 2 and "CGSCOPE_AUTH_FILE" in r.stderr
    agent.stop()

    # TLS and basic auth.
    agent = agent_factory(f"--web.config.file={tmp_path / 'tls.yml'}", "--no-bpf", health_url="tcp")
    url = f"https://127.0.0.1:{agent.port}"
    auth = {"CGSCOPE_AUTH": "alice:p@ss:word"}
    r = top_run("--url", url, env=auth)
    assert r.returncode == 1 and "certificate is not trusted" in r.stderr, r.stderr
    r = top_run("--url", url.replace("https", "http"), env=auth)
    assert r.returncode == 1 and "the agent serves TLS: use an https:// URL" in r.stderr, r.stderr
    r = top_run("--url", url, env=ca)
    assert r.returncode == 1 and "401: the agent asks for a user and password" in r.stderr, r.stderr
    for u in (url, f"https://localhost:{agent.port}"):
        r = top_run("--url", u, env={**ca, **auth})
        assert r.returncode == 0, (u, r.stderr)
        assert f"kernel {kernel} " in parse_frames(r.stdout)[0]["header"][0]
    agent.stop()

    # And a client certificate.
    agent = agent_factory(f"--web.config.file={tmp_path / 'mtls.yml'}", "--no-bpf", health_url="tcp")
    url = f"https://127.0.0.1:{agent.port}"
    r = top_run("--url", url, env={**ca, **auth})
    assert r.returncode == 1 and "client certificate" in r.stderr, r.stderr
    r = top_run("--url", url, env={**ca, **auth, "CGSCOPE_CERT_FILE": str(tmp_path / "top.crt"),
                                   "CGSCOPE_KEY_FILE": str(tmp_path / "top.key")})
    assert r.returncode == 0, r.stderr
