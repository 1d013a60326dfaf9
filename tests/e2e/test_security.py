# SPDX-License-Identifier: GPL-2.0-only
"""Privilege drop, TLS, client certificates and basic auth of the agent, its
web config file (every error stops the start), SIGHUP (re-reads the web
config, never stops the agent), and the Kubernetes probes with a web config.
Certificates are made by openssl in the test, clients are curl and Python."""
import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import warnings

import pytest
import yaml

from conftest import CGSCOPE, ROOT, parse_metrics, series, wait_for

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
    r = subprocess.run([CGSCOPE, "agent", "--web.listen-address=127.0.0.1:0", "--record.dir=",
                        "--user=no-such-user-x"],
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
    # Plain HTTP to the TLS port gets an answer that says so (as Go's
    # servers give), not a silent close, and the agent keeps serving.
    r = curl(f"http://127.0.0.1:{agent.port}/metrics")
    assert r.status == 400, r
    assert "Client sent an HTTP request to an HTTPS server." in r.body
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as sk:
        sk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sk.recv(4096).startswith(b"HTTP/1.0 400 Bad Request\r\n")
    assert fetch(url + "/healthz", cert, "alice", "s3cret")[0] == 200


class Answer:
    """What curl got: its exit code, the status (None without an answer),
    the headers (names in lower case) and the body."""

    def __init__(self, rc, status, headers, body, err):
        self.rc, self.status, self.headers, self.body, self.err = rc, status, headers, body, err

    def __repr__(self):
        return f"Answer(rc={self.rc}, status={self.status}, err={self.err!r}, body={self.body[:200]!r})"


def curl(url, *args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-D", "/dev/stderr", "-o", "-", *args, url],
                       capture_output=True, timeout=30)
    err = r.stderr.decode(errors="replace")
    heads = [b for b in re.split(r"\r\n\r\n", err) if b.startswith("HTTP/")]
    status, headers = None, {}
    if heads:
        lines = heads[-1].split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return Answer(r.returncode, status, headers, r.stdout.decode(errors="replace"), err)


def bcrypt(password, cost=4):
    """A bcrypt hash as Debian's Python makes it (cost 4 keeps the test fast)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def ec_key(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))


class Pki:
    """A server certificate for 127.0.0.1 and localhost, a CA of client
    certificates, a client certificate it signed (SANs prometheus.example
    and ops@example.com), and a self-signed client certificate it did not.
    All in a folder that nobody (the agent's --user) can read, as SIGHUP
    re-reads the files after the switch."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cgscope-pki-")
        os.chmod(self.dir, 0o755)
        self.server("server")
        self.p("clients-ca.key")
        ec_key(self.p("clients-ca.key"))
        openssl("req", "-x509", "-new", "-key", self.p("clients-ca.key"), "-days", "2",
                "-subj", "/CN=clients-ca", "-out", self.p("clients-ca.crt"))
        ec_key(self.p("client.key"))
        openssl("req", "-new", "-key", self.p("client.key"), "-subj", "/CN=prometheus",
                "-out", self.p("client.csr"))
        with open(self.p("client.ext"), "w") as f:
            f.write("subjectAltName=DNS:prometheus.example,email:ops@example.com\n"
                    "extendedKeyUsage=clientAuth\n")
        openssl("x509", "-req", "-in", self.p("client.csr"), "-CA", self.p("clients-ca.crt"),
                "-CAkey", self.p("clients-ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", self.p("client.ext"), "-out", self.p("client.crt"))
        ec_key(self.p("rogue.key"))
        openssl("req", "-x509", "-new", "-key", self.p("rogue.key"), "-days", "2",
                "-subj", "/CN=rogue", "-addext", "subjectAltName=DNS:prometheus.example",
                "-out", self.p("rogue.crt"))
        self.readable()

    def p(self, name):
        return os.path.join(self.dir, name)

    def server(self, name, cn="cgscope"):
        """A self-signed server certificate (its own CA) for 127.0.0.1."""
        ec_key(self.p(name + ".key"))
        openssl("req", "-x509", "-new", "-key", self.p(name + ".key"), "-days", "2",
                "-subj", f"/CN={cn}", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-out", self.p(name + ".crt"))
        self.readable()

    def readable(self):
        for f in os.listdir(self.dir):
            os.chmod(self.p(f), 0o644)

    def write(self, name, text):
        """Replaces a file whole, as an editor or a deployment tool does."""
        tmp = self.p(name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.p(name))
        return self.p(name)

    def fingerprint(self, name):
        with open(self.p(name)) as f:
            return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pki():
    p = Pki()
    try:
        yield p
    finally:
        p.cleanup()


def served_fingerprint(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sk:
        with ctx.wrap_socket(sk) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def start_agent(agent_factory, conf, *args):
    return agent_factory(f"--web.config.file={conf}", "--no-bpf", "--interval=500ms", *args,
                         health_url="https")


def start_fails(*args, preexec=None, wrap=()):
    """Runs an agent that must refuse to start: its exit code and stderr."""
    r = subprocess.run([*wrap, CGSCOPE, "agent", "--web.listen-address=127.0.0.1:0", "--no-bpf",
                        "--record.dir=", *args],
                       capture_output=True, text=True, timeout=15)
    return r.returncode, r.stderr


HASH = None


def a_hash():
    global HASH
    if HASH is None:
        HASH = bcrypt("s3cret")
    return HASH


# Every error of the file stops the agent at start, with a message that
# names what is wrong: never a start on plain HTTP or without auth.
@pytest.mark.parametrize("text,msg", [
    ("basic_auth_users:\n  bob: plaintext\n", "the hash of 'bob' is not a bcrypt hash"),
    ("basic_auth_users:\n  alice: $2y$10$short\n", "the hash of 'alice' is not a bcrypt hash"),
    ("basic_auth_users:\n  alice: $2y$03$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n",
     "not a bcrypt hash"),
    ("basic_auth_users:\n  alice: $2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ0123!\n",
     "not a bcrypt hash"),
    ("basic_auth_users:\n  alice: '{h}'\n  bob: '{h}'\n  alice: '{h}'\n", "user 'alice' is listed twice"),
    ("basic_auth_users:\n  alice: '{h}'\nbasic_auth_users:\n  bob: '{h}'\n", "given twice"),
    ("tls_server_config:\n  cert_file: a.crt\n", "needs cert_file (or cert) and key_file"),
    ("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "cannot read"),
    ("nonsense_key: 1\n", "unknown key 'nonsense_key'"),
    ("basic_auth_users: [\n", "not YAML"),
    ("rate_limit:\n  interval: 1s\n", "rate_limit is not supported"),
    ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "cipher_suites is not supported"),
    ("http_server_config:\n  headers:\n    Server: x\n", "header 'Server' cannot be set"),
])
def test_bad_web_config_is_a_clear_error(tmp_path, text, msg):
    conf = tmp_path / "web.yml"
    conf.write_text(text.replace("{h}", a_hash()))
    rc, err = start_fails(f"--web.config.file={conf}")
    assert rc == 1 and msg in err, err


def test_web_config_that_cannot_be_read_stops_the_agent(tmp_path, pki):
    # A directory read as an empty file used to start the agent on plain
    # HTTP with no auth.
    rc, err = start_fails(f"--web.config.file={tmp_path}")
    assert rc == 1 and "cannot read it: Is a directory" in err, err
    rc, err = start_fails(f"--web.config.file={tmp_path}/missing.yml")
    assert rc == 1 and "No such file or directory" in err, err
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    rc, err = start_fails(f"--web.config.file={fifo}")
    assert rc == 1 and "not a regular file" in err, err
    # Past the 4 MiB the message names: refused, also between 4 and 8 MiB
    # (a copy of the read loop of its own let those through).
    big = tmp_path / "big.yml"
    big.write_text(f"basic_auth_users:\n  alice: '{a_hash()}'\n" + ("#" * 1023 + "\n") * (5 << 10))
    rc, err = start_fails(f"--web.config.file={big}")
    assert rc == 1 and "larger than 4 MiB" in err, err
    # Unreadable: root reads anything, so run without the capabilities
    # that let it (as a unit without CAP_DAC_OVERRIDE does).
    conf = tmp_path / "web.yml"
    conf.write_text(f"basic_auth_users:\n  alice: '{a_hash()}'\n")
    conf.chmod(0)
    rc, err = start_fails(f"--web.config.file={conf}",
                          wrap=("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"))
    assert rc == 1 and "cannot read it: Permission denied" in err, err
    # The files it names: a directory for a certificate, a key that is not
    # the certificate's, a CA file with no certificate in it.
    conf = tmp_path / "tls.yml"
    junk = tmp_path / "junk.crt"
    junk.write_text("not a certificate\n")
    for tls, msg in [
            (f"cert_file: {tmp_path}\n  key_file: {pki.p('server.key')}", "cert_file: cannot read"),
            (f"cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('rogue.key')}",
             "the certificate and key"),
            (f"cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
             f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {junk}",
             "the client CA holds no PEM certificate"),
            (f"cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
             f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {pki.p('client.csr')}",
             "tls_server_config: the client CA: "),
            (f"cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
             f"  client_auth_type: RequireAndVerifyClientCert", "needs client_ca_file")]:
        conf.write_text(f"tls_server_config:\n  {tls}\n")
        rc, err = start_fails(f"--web.config.file={conf}")
        assert rc == 1 and msg in err, (tls, err)
        assert "--web.config.file" in err


def test_empty_web_config_is_said(tmp_path, agent_factory):
    conf = tmp_path / "web.yml"
    conf.write_text("")
    agent = agent_factory(f"--web.config.file={conf}", "--no-bpf")
    assert agent.get("/healthz") == "ok\n"
    assert "sets neither TLS nor basic auth" in agent.stop()


# client_auth_type: who gets in with no certificate, the CA's client
# certificate, or a self-signed one.
@pytest.mark.parametrize("mode,ca,want", [
    ("RequireAndVerifyClientCert", True, {"none": False, "client": True, "rogue": False}),
    ("VerifyClientCertIfGiven", True, {"none": True, "client": True, "rogue": False}),
    ("RequireAnyClientCert", False, {"none": False, "client": True, "rogue": True}),
    ("RequestClientCert", False, {"none": True, "client": True, "rogue": True}),
    ("NoClientCert", False, {"none": True, "client": True, "rogue": True}),
])
def test_client_certificates(pki, agent_factory, tmp_path, mode, ca, want):
    conf = tmp_path / "web.yml"
    conf.write_text(f"tls_server_config:\n  cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
                    f"  client_auth_type: {mode}\n" + (f"  client_ca_file: {pki.p('clients-ca.crt')}\n" if ca else ""))
    agent = start_agent(agent_factory, conf)
    url = f"https://127.0.0.1:{agent.port}/healthz"
    for who, ok in want.items():
        args = [] if who == "none" else ["--cert", pki.p(who + ".crt"), "--key", pki.p(who + ".key")]
        got = curl(url, "--cacert", pki.p("server.crt"), *args)
        if ok:
            assert got.rc == 0 and got.status in (200, 503), (who, got)
        else:
            assert got.rc != 0 and got.status is None, (who, got)


def test_client_allowed_sans(pki, agent_factory, tmp_path):
    conf = tmp_path / "web.yml"
    base = (f"tls_server_config:\n  cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
            f"  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: {pki.p('clients-ca.crt')}\n")
    client = ["--cacert", pki.p("server.crt"), "--cert", pki.p("client.crt"), "--key", pki.p("client.key")]
    for sans, ok in ((["prometheus.example"], True), (["ops@example.com", "x"], True),
                     (["other.example"], False)):
        conf.write_text(base + f"  client_allowed_sans: {sans}\n")
        agent = start_agent(agent_factory, conf)
        got = curl(f"https://127.0.0.1:{agent.port}/healthz", *client)
        assert (got.rc == 0) == ok, (sans, got)
        # With a list of names, no certificate is no entry either.
        got = curl(f"https://127.0.0.1:{agent.port}/healthz", "--cacert", pki.p("server.crt"))
        assert got.rc != 0, (sans, got)
        agent.stop()


def test_tls_versions(pki, agent_factory, tmp_path):
    conf = tmp_path / "web.yml"
    tls = f"tls_server_config:\n  cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
    ca = ["--cacert", pki.p("server.crt")]
    # The toolkit's default minimum, TLS 1.2.
    conf.write_text(tls)
    agent = start_agent(agent_factory, conf)
    url = f"https://127.0.0.1:{agent.port}/healthz"
    assert curl(url, *ca, "--tlsv1.2", "--tls-max", "1.2").rc == 0
    assert curl(url, *ca, "--tlsv1.3").rc == 0
    assert curl(url, *ca, "--tlsv1.0", "--tls-max", "1.1").rc == 35   # (curl's OpenSSL refuses 1.1 too)
    agent.stop()
    conf.write_text(tls + "  min_version: TLS13\n")
    agent = start_agent(agent_factory, conf)
    url = f"https://127.0.0.1:{agent.port}/healthz"
    assert curl(url, *ca, "--tlsv1.3").rc == 0
    assert curl(url, *ca, "--tlsv1.2", "--tls-max", "1.2").rc == 35
    agent.stop()
    conf.write_text(tls + "  max_version: TLS12\n")
    agent = start_agent(agent_factory, conf)
    url = f"https://127.0.0.1:{agent.port}/healthz"
    assert curl(url, *ca, "--tlsv1.2", "--tls-max", "1.2").rc == 0
    assert curl(url, *ca, "--tlsv1.3").rc == 35


def test_configured_headers_on_every_answer(pki, agent_factory, tmp_path):
    conf = tmp_path / "web.yml"
    conf.write_text(f"tls_server_config:\n  cert_file: {pki.p('server.crt')}\n  key_file: {pki.p('server.key')}\n"
                    "http_server_config:\n  http2: true\n  headers:\n"
                    "    Strict-Transport-Security: max-age=31536000\n"
                    "    X-Content-Type-Options: nosniff\n"
                    "    X-Frame-Options: deny\n"
                    "    Content-Security-Policy: \"\"\n"
                    f"basic_auth_users:\n  alice: '{a_hash()}'\n")
    agent = start_agent(agent_factory, conf)
    base = f"https://127.0.0.1:{agent.port}"
    ca = ["--cacert", pki.p("server.crt")]
    assert wait_for(lambda: curl(base + "/metrics", *ca, "-u", "alice:s3cret").status == 200)
    for path, auth, status in (("/metrics", True, 200), ("/api/v1/cgroups", True, 200), ("/", True, 200),
                               ("/nope", True, 404), ("/api/v1/nope", True, 404), ("/metrics", False, 401),
                               ("/api/v1/cgroups?depth=x", True, 400)):
        got = curl(base + path, *ca, *(["-u", "alice:s3cret"] if auth else []))
        assert got.status == status, (path, got)
        assert got.headers.get("strict-transport-security") == "max-age=31536000", (path, got.headers)
        assert got.headers.get("x-content-type-options") == "nosniff", (path, got.headers)
        assert got.headers.get("x-frame-options") == "deny", (path, got.headers)
        assert "content-security-policy" not in got.headers    # blank: unset


def test_listen_host_that_does_not_resolve():
    rc, err = start_fails("--web.listen-address=no-such-host.invalid:9753")
    assert rc == 1, err
    assert "the host 'no-such-host.invalid' does not resolve" in err, err
    assert "Cannot assign requested address" not in err, err


def test_sighup_reloads_users_and_certificates(pki, agent_factory):
    """Rotated certificates and changed users take effect without a restart;
    a bad new file is logged and the old one kept; SIGHUP never stops the
    agent (it used to exit 129)."""
    pki.server("rot1", cn="first")
    web = lambda users, cert="rot1": (f"tls_server_config:\n  cert_file: {cert}.crt\n  key_file: {cert}.key\n"
                                      "basic_auth_users:\n" + "".join(f"  {u}: '{bcrypt(p)}'\n" for u, p in users))
    conf = pki.write("web.yml", web([("alice", "s3cret")]))
    agent = start_agent(agent_factory, conf)   # as nobody, the default --user
    base = f"https://127.0.0.1:{agent.port}/healthz"
    ca = lambda name: ["--cacert", pki.p(name + ".crt")]
    assert wait_for(lambda: curl(base, *ca("rot1"), "-u", "alice:s3cret").status == 200)
    first = served_fingerprint(agent.port)
    assert first == pki.fingerprint("rot1.crt")

    # A connection kept open across the reload (Prometheus keeps its own).
    kept = ssl.create_default_context(cafile=pki.p("rot1.crt"))
    kept.check_hostname = False
    sk = kept.wrap_socket(socket.create_connection(("127.0.0.1", agent.port), timeout=10))

    # Users changed, certificate rotated (new files under the same names).
    pki.server("rot2", cn="second")
    shutil.copy(pki.p("rot2.crt"), pki.p("rot1.crt"))
    shutil.copy(pki.p("rot2.key"), pki.p("rot1.key"))
    pki.write("web.yml", web([("bob", "hunter2")]))
    agent.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: curl(base, *ca("rot2"), "-u", "bob:hunter2").status == 200)
    assert agent.proc.poll() is None
    assert served_fingerprint(agent.port) == pki.fingerprint("rot2.crt") != first
    assert curl(base, *ca("rot2"), "-u", "alice:s3cret").status == 401
    # The old connection keeps its TLS session, and the new users apply to it.
    auth = base64.b64encode(b"alice:s3cret").decode()
    sk.sendall(f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
    assert sk.recv(4096).startswith(b"HTTP/1.1 401")
    sk.close()

    # Bad new files: logged, the config in force stays, the agent serves on.
    for bad in ("basic_auth_users:\n  bob: $2y$10$short\n",
                "tls_server_config: [\n",
                f"basic_auth_users:\n  bob: '{bcrypt('x')}'\n",     # no TLS: a reload cannot turn it off
                web([], cert="rot2"),                                # no users: nor auth
                web([("bob", "x")], cert="missing")):
        pki.write("web.yml", bad)
        agent.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert agent.proc.poll() is None
        assert curl(base, *ca("rot2"), "-u", "bob:hunter2").status == 200, bad
    os.rename(pki.p("web.yml"), pki.p("web.yml.gone"))
    agent.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert curl(base, *ca("rot2"), "-u", "bob:hunter2").status == 200
    # And a good one again.
    pki.write("web.yml", web([("carol", "pw")], cert="rot2"))
    agent.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: curl(base, *ca("rot2"), "-u", "carol:pw").status == 200)
    assert agent.proc.poll() is None

    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(10) == 0
    log = agent.proc.stdout.read()
    assert log.count("re-read: TLS on") == 2, log
    assert "the hash of 'bob' is not a bcrypt hash" in log
    assert "a reload cannot turn TLS off" in log
    assert "a reload cannot turn basic auth off" in log
    assert "missing.crt: No such file or directory" in log
    assert log.count("the config in force stays") == 6, log


def test_sighup_without_web_config(agent_factory):
    agent = agent_factory("--no-bpf", "--interval=200ms")
    for _ in range(3):
        agent.proc.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        assert agent.proc.poll() is None
        assert agent.get("/healthz") == "ok\n"
    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(10) == 0
    assert "SIGHUP: no --web.config.file to re-read" in agent.proc.stdout.read()


def test_bcrypt_recipes_of_the_docs(tmp_path, agent_factory):
    """The ways docs/agent.md names to make a bcrypt hash with Debian's tools
    make hashes the agent takes and matches."""
    with open(os.path.join(ROOT, "docs", "agent.md")) as f:
        readme = f.read()
    htpasswd = "htpasswd -nbBC 10 alice"
    python = ("python3 -c 'import crypt, getpass; print(crypt.crypt(getpass.getpass(), "
              "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))'")
    assert htpasswd in readme and python in readme
    hashes = {
        "htpasswd": subprocess.run(["htpasswd", "-nbBC", "10", "alice", "pass word"], check=True,
                                   capture_output=True, text=True).stdout.strip().split(":", 1)[1],
        # getpass reads the terminal; the same call with the password given.
        "python3": subprocess.run(["/usr/bin/python3", "-W", "ignore", "-c",
                                   "import crypt; print(crypt.crypt('pass word', "
                                   "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))"],
                                  check=True, capture_output=True, text=True).stdout.strip(),
    }
    for tool, h in hashes.items():
        assert re.fullmatch(r"\$2[aby]\$10\$[./A-Za-z0-9]{53}", h), (tool, h)
        conf = tmp_path / f"{tool}.yml"
        conf.write_text(f"basic_auth_users:\n  alice: '{h}'\n")
        agent = agent_factory(f"--web.config.file={conf}", "--no-bpf", health_url="tcp")
        assert curl(agent.url + "/healthz", "-u", "alice:pass word").status in (200, 503), tool
        assert curl(agent.url + "/healthz", "-u", "alice:password").status == 401, tool
        agent.stop()


def json_patch(doc, ops):
    """The add and replace operations of RFC 6902 that the component uses."""
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            if last == "-":
                node.append(op["value"])
            elif op["op"] == "add":
                node.insert(int(last), op["value"])
            else:
                node[int(last)] = op["value"]
        else:
            assert op["op"] == "add" or last in node, op
            node[last] = op["value"]
    return doc


def test_kubernetes_probes_with_a_web_config(pki, agent_factory, tmp_path):
    """deploy/kubernetes/web-config, applied to the DaemonSet as kustomize
    would, with the example web.yml filled in: the agent starts with the
    DaemonSet's own arguments, and the probes, made as the kubelet makes
    them (HTTPS without checking the certificate, the manifest's headers),
    get 200 from /healthz, which asks for auth like every path."""
    k8s = os.path.join(ROOT, "deploy", "kubernetes")
    with open(os.path.join(k8s, "daemonset.yaml")) as f:
        ds = yaml.safe_load(f)
    with open(os.path.join(k8s, "web-config", "kustomization.yaml")) as f:
        comp = yaml.safe_load(f)
    assert comp["kind"] == "Component"
    for p in comp["patches"]:
        if p["target"]["kind"] == "DaemonSet":
            json_patch(ds, yaml.safe_load(p["patch"]))
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    # The Secret's files where the arguments look for them.
    mount = next(m for m in c["volumeMounts"] if m["name"] == "web-config")
    vol = next(v for v in pod["volumes"] if v["name"] == "web-config")
    assert vol["secret"]["secretName"] == "cgscope-web-config"
    assert vol["secret"]["defaultMode"] & 0o004, "nobody must read the files to reload them"
    conf_arg = next(a for a in c["args"] if a.startswith("--web.config.file="))
    conf_path = conf_arg.split("=", 1)[1]
    assert os.path.dirname(conf_path) == mount["mountPath"]

    # The Secret, made as the README says.
    secret = tmp_path / "secret"
    secret.mkdir()
    secret.chmod(0o755)
    shutil.copy(pki.p("server.crt"), secret / "tls.crt")
    shutil.copy(pki.p("server.key"), secret / "tls.key")
    with open(os.path.join(k8s, "web-config", "web.yml.example")) as f:
        example = f.read()
    (secret / os.path.basename(conf_path)).write_text(
        example.replace("PROBE-BCRYPT-HASH", f"'{bcrypt('probe-pw')}'")
               .replace("PROMETHEUS-BCRYPT-HASH", f"'{bcrypt('prom-pw')}'"))
    for f in secret.iterdir():
        f.chmod(0o444)
    probe_auth = base64.b64encode(b"probe:probe-pw").decode()

    args = [a for a in c["args"][1:]
            if not a.startswith(("--web.listen-address=", "--cgroup-root=", "--web.config.file=",
                                     "--record.dir="))]
    agent = agent_factory(*args, f"--web.config.file={secret / os.path.basename(conf_path)}",
                          "--no-bpf", health_url="tcp")
    for name in ("readinessProbe", "livenessProbe"):
        get = c[name]["httpGet"]
        assert get["scheme"] == "HTTPS" and get["port"] == "metrics"
        headers = [f"{h['name']}: {h['value'].replace('PROBE-CREDENTIALS', probe_auth)}"
                   for h in get["httpHeaders"]]
        url = f"https://127.0.0.1:{agent.port}{get['path']}"
        probe = lambda: curl(url, "--insecure", *sum((["-H", h] for h in headers), []))
        assert wait_for(lambda: probe().status == 200, timeout=20), probe()
        # Without the header, the probe's path asks for auth as every path does.
        assert curl(url, "--insecure").status == 401
    # The manifest as shipped, its placeholder not replaced: unready, not open.
    shipped = c["readinessProbe"]["httpGet"]["httpHeaders"][0]
    got = curl(f"https://127.0.0.1:{agent.port}/healthz", "--insecure",
               "-H", f"{shipped['name']}: {shipped['value']}")
    assert got.status == 401
    # Prometheus, with its own user.
    assert curl(f"https://127.0.0.1:{agent.port}/metrics", "--insecure", "-u", "prometheus:prom-pw").status == 200
