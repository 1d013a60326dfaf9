# SPDX-License-Identifier: GPL-2.0-only
"""Privilege drop, TLS and basic auth of the agent."""
import base64
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import warnings

import pytest

from conftest import CGSCOPE, parse_metrics, series, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def test_drops_to_nobody_and_keeps_working(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms")
    st = proc_status(agent.proc.pid)
    uids = st["Uid"].split()
    assert all(u == "65534" for u in uids), st["Uid"]
    assert all(g == "65534" for g in st["Gid"].split()), st["Gid"]
    assert st["CapEff"] == "0000000000000000"
    # The collection thread (the main one) alone keeps CAP_DAC_READ_SEARCH
    # permitted, not effective: it raises it around a read of a container
    # runtime's state (docs/agent.md). Every other thread has nothing.
    assert st["CapPrm"] == "%016x" % (1 << 2)
    assert st["CapInh"] == "0000000000000000" and st["CapAmb"] == "0000000000000000"
    tasks = os.listdir(f"/proc/{agent.proc.pid}/task")
    assert len(tasks) > 1
    for tid in tasks:
        if int(tid) == agent.proc.pid:
            continue
        t = proc_status(f"{agent.proc.pid}/task/{tid}")
        assert t["CapPrm"] == t["CapEff"] == "0000000000000000", (tid, t["Name"])
    assert st["NoNewPrivs"] == "1"
    assert st["Groups"].strip() == ""
    # Polling still sees new cgroups and reads their files.
    cgtree.mkdir("after-drop")
    assert wait_for(lambda: series(parse_metrics(agent.get("/metrics")), "cgroup_cpu_usage_seconds_total",
                                   cgroup=cgtree.rel("after-drop")) is not None)
    assert series(parse_metrics(agent.get("/metrics")), "cgscope_read_errors_total", file="cpu.stat") == 0


def test_user_root_keeps_root(agent_factory):
    agent = agent_factory("--user=root")
    assert proc_status(agent.proc.pid)["Uid"].split()[0] == "0"


def test_unknown_user_is_an_error():
    r = subprocess.run([CGSCOPE, "agent", "--web.listen-address=127.0.0.1:0", "--user=no-such-user-x"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "no such user" in r.stderr


@pytest.fixture
def web_config(tmp_path):
    key, cert = tmp_path / "server.key", tmp_path / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    h = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    conf = tmp_path / "web.yml"
    conf.write_text(f"tls_server_config:\n  cert_file: server.crt\n  key_file: {key}\n"
                    f"basic_auth_users:\n  alice: '{h}'\n")
    return conf, cert


def fetch(url, cert, user=None, password=None):
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    req = urllib.request.Request(url)
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("WWW-Authenticate", "")


def test_tls_and_basic_auth(web_config, agent_factory):
    conf, cert = web_config
    agent = agent_factory(f"--web.config.file={conf}", health_url="https")
    url = f"https://127.0.0.1:{agent.port}"
    # The port is open before the first collection cycle is done.
    assert wait_for(lambda: fetch(url + "/healthz", cert, "alice", "s3cret")[0] == 200)
    status, body = fetch(url + "/metrics", cert, "alice", "s3cret")
    assert status == 200 and "cgscope_build_info" in body
    status, hdr = fetch(url + "/metrics", cert, "alice", "wrong")
    assert status == 401 and "Basic" in hdr
    status, _ = fetch(url + "/metrics", cert, "mallory", "s3cret")
    assert status == 401
    status, _ = fetch(url + "/api/v1/cgroups", cert)
    assert status == 401
    # Plain HTTP to the TLS port fails cleanly, and the agent keeps serving.
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(f"http://127.0.0.1:{agent.port}/metrics", timeout=5).read()
    assert fetch(url + "/healthz", cert, "alice", "s3cret")[0] == 200


@pytest.mark.parametrize("text,msg", [
    ("basic_auth_users:\n  bob: plaintext\n", "not bcrypt"),
    ("tls_server_config:\n  cert_file: a.crt\n", "both cert_file and key_file"),
    ("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "cannot read"),
    ("nonsense_key: 1\n", "unsupported key"),
    ("basic_auth_users: [\n", "not YAML"),
])
def test_bad_web_config_is_a_clear_error(tmp_path, text, msg):
    conf = tmp_path / "web.yml"
    conf.write_text(text)
    r = subprocess.run([CGSCOPE, "agent", "--web.listen-address=127.0.0.1:0", f"--web.config.file={conf}"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and msg in r.stderr, r.stderr
