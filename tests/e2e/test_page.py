# SPDX-License-Identifier: GPL-2.0-only
"""The page and the JSON list are kept compressed only (collect/snapshot.h):
every way a client asks for them must give the same bytes, and the agent's
memory must not hold them as text.

The tree is the full-controller fixture's files in each of a few thousand
plain directories (hard links to one copy), so that the page is many of the
writer's 64 KiB chunks and /metrics/cadvisor starts deep inside it.
"""
import gzip
import http.client
import json
import os
import shutil
import ssl
import subprocess
import time
import zlib

import pytest

from conftest import ROOT, agent_factory  # noqa: F401 (a fixture)

WORKLOAD = os.path.join(ROOT, "tests", "fixtures", "cgroupfs", "linux-6.1-v2", "workload")
# What the agent reads of a cgroup: the fixture's files, not its own knobs.
SKIP = ("cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.subtree_control")


def make_tree(top, n):
    """A root and n cgroups below it in rows of 50, each with every file of
    the fixture's workload cgroup, hard-linked to one copy."""
    template = top / "template"
    template.mkdir()
    names = [f for f in os.listdir(WORKLOAD) if f not in SKIP]
    for f in names:
        shutil.copy(os.path.join(WORKLOAD, f), template / f)
    root = top / "tree"
    dirs = [root] + [root / f"r{i // 50}" / f"c{i}" for i in range(n)]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
        for f in names:
            os.link(template / f, d / f)
    for r in {d.parent for d in dirs[1:]}:
        for f in names:
            if not (r / f).exists():
                os.link(template / f, r / f)
    return root


def gunzip_one(data):
    """What a strict gzip client reads: one member, its CRC-32 and length
    checked, nothing after it."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data) + d.flush()
    assert d.eof, "the gzip stream does not end"
    assert d.unused_data == b"", "bytes after the gzip trailer"
    return out


class Client:
    def __init__(self, port, tls_ca=None):
        self.port, self.ca = port, tls_ca

    def ready(self):
        """After the first cycle: /healthz says 200."""
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.get("/healthz")
                return
            except (AssertionError, OSError):
                time.sleep(0.1)
        raise AssertionError("no cycle within 30 s")

    def get(self, path, gz=False, method="GET"):
        if self.ca:
            ctx = ssl.create_default_context(cafile=str(self.ca))
            ctx.check_hostname = False
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=30)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, headers={"Accept-Encoding": "gzip"} if gz else {})
        r = c.getresponse()
        body = r.read()
        h = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        assert r.status == 200, (path, r.status, body[:200])
        return h, body


@pytest.fixture
def tls(tmp_path):
    key, cert = tmp_path / "server.key", tmp_path / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    conf = tmp_path / "web.yml"
    conf.write_text(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    return conf, cert


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_form_is_one_page(tmp_path, agent_factory, tls, scheme):
    root = make_tree(tmp_path, 300)
    extra, ca = (), None
    if scheme == "https":
        extra, ca = (f"--web.config.file={tls[0]}",), tls[1]
    # One cycle only (a long interval): every answer is of one snapshot.
    agent = agent_factory("--interval=1h", "--no-bpf", "--user=root", "--compat=cadvisor",
                          f"--cgroup-root={root}", *extra,
                          health_url="http" if scheme == "http" else "https")
    c = Client(agent.port, ca)
    c.ready()
    h, page = c.get("/metrics")
    assert "content-encoding" not in h and int(h["content-length"]) == len(page)
    assert h["vary"] == "Accept-Encoding"
    assert len(page) > 40 * 64 * 1024, len(page)     # many chunks of the writer
    assert page.count(b"\ncgroup_info{") == 301 + 6   # the cgroups and the rows' parents
    hz, packed = c.get("/metrics", gz=True)
    assert hz["content-encoding"] == "gzip" and int(hz["content-length"]) == len(packed)
    assert gunzip_one(packed) == page
    assert len(packed) < len(page) / 10

    # /metrics/cadvisor: the page from its first cAdvisor family on, a
    # gzip stream of its own made of the page's bytes.
    at = page.index(b"# HELP container_")
    assert page[at - 1:at] == b"\n"
    h, cad = c.get("/metrics/cadvisor")
    assert cad == page[at:] and int(h["content-length"]) == len(cad)
    hz, cadz = c.get("/metrics/cadvisor", gz=True)
    assert hz["content-encoding"] == "gzip" and int(hz["content-length"]) == len(cadz)
    assert gunzip_one(cadz) == cad
    assert gzip.decompress(cadz) == cad
    assert len(cadz) < len(packed)

    # HEAD: the length of what GET sends, no body.
    for path, body in (("/metrics", page), ("/metrics/cadvisor", cad)):
        h, nothing = c.get(path, method="HEAD")
        assert nothing == b"" and int(h["content-length"]) == len(body), path

    # The JSON list likewise, made by the first reader.
    h, text = c.get("/api/v1/cgroups")
    assert "content-encoding" not in h and int(h["content-length"]) == len(text)
    assert len(json.loads(text)["cgroups"]) == 307
    hz, jz = c.get("/api/v1/cgroups", gz=True)
    assert hz["content-encoding"] == "gzip" and gunzip_one(jz) == text
    # Made once: the same bytes again.
    assert c.get("/api/v1/cgroups", gz=True)[1] == jz
    assert c.get("/metrics", gz=True)[1] == packed


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_text_is_not_kept(tmp_path, agent_factory):
    """The agent used to keep the page twice as text (the one served and the
    one before it, to render into), and the JSON list as text once a reader
    asked: at 3,000 full-controller cgroups 24 MB each, 7 MB. Now only their
    gzip stays: after scrapes of every form the agent is smaller than one
    copy of the page."""
    root = make_tree(tmp_path, 3000)
    # The flight recorder's memory is its own (and counted in make bench):
    # off, so that what is measured here is the page's.
    agent = agent_factory("--interval=1s", "--no-bpf", "--user=root", "--record.dir=",
                          f"--cgroup-root={root}")
    c = Client(agent.port)
    c.ready()
    page, cycles = b"", 0
    # Several cycles, each scraped every way: the page before last would be
    # kept by now.
    while cycles < 4:
        page = c.get("/metrics")[1]
        c.get("/metrics", gz=True)
        c.get("/api/v1/cgroups")
        c.get("/api/v1/cgroups", gz=True)
        cycles = json.loads(c.get("/api/v1/status")[1])["cycles"]
    assert page.count(b"\ncgroup_info{") == 3061
    rss = vm_rss_kb(agent.proc.pid) * 1024
    print(f"{rss / 1e6:.1f} MB resident, the page is {len(page) / 1e6:.1f} MB")
    if not os.environ.get("CGSCOPE_SANITIZER"):  # ASan keeps freed memory by design
        assert rss < len(page), f"{rss / 1e6:.1f} MB resident, the page is {len(page) / 1e6:.1f} MB"


def settled_rss_kb(agent, c, cycles):
    """The least VmRSS read over `cycles` cycles of the agent, every 50 ms:
    its size between cycles, without the snapshot being made beside the one
    served."""
    def cycle():
        return json.loads(c.get("/api/v1/status")[1])["cycles"]

    end, low = cycle() + cycles, None
    while cycle() < end:
        rss = vm_rss_kb(agent.proc.pid)
        low = rss if low is None else min(low, rss)
        time.sleep(0.05)
    return low


def test_the_recorder_keeps_no_copy_of_the_cycle(tmp_path, agent_factory):
    """The flight recorder (on by default) used to keep two copies of a
    cycle in its own columns, the cycle recorded and the one before, for its
    differences: 116 values and a memory.stat row of 72 per full-controller
    cgroup, 3 KiB a cgroup for both, 9 MB at 3,000 (32 MB at 10,000, over
    the 80 MB of issue 22 at the peak). Its encoder now reads the cycle
    before from the snapshot it recorded, which is the one served between
    cycles: the agent that records is less than half of one such copy
    (2.2 MB of 4.5) larger than the agent that does not (0.8 MB larger
    measured; 5.9 MB before)."""
    root = make_tree(tmp_path, 3000)
    rss = {}
    for name, rec in (("off", "--record.dir="), ("on", f"--record.dir={tmp_path / 'rec'}")):
        agent = agent_factory("--interval=1s", "--no-bpf", "--user=root", rec,
                              f"--cgroup-root={root}")
        c = Client(agent.port)
        c.ready()
        c.get("/metrics", gz=True)
        # Past the first keyframe (the first cycle), whose buffers go back.
        rss[name] = settled_rss_kb(agent, c, 5) * 1024
        agent.stop()
    assert os.listdir(tmp_path / "rec"), "the agent recorded nothing"
    copy = 3000 * (116 + 72) * 8
    half = copy // 2
    print(f"between cycles: {rss['on'] / 1e6:.1f} MB recording, {rss['off'] / 1e6:.1f} MB not;"
          f" a copy of the cycle is {copy / 1e6:.1f} MB")
    if not os.environ.get("CGSCOPE_SANITIZER"):  # ASan keeps freed memory by design
        assert rss["on"] - rss["off"] < half, \
            f"recording costs {(rss['on'] - rss['off']) / 1e6:.1f} MB, a copy of the cycle is {copy / 1e6:.1f} MB"
