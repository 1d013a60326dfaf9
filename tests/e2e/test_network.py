# SPDX-License-Identifier: GPL-2.0-only
"""Network traffic per cgroup (issue 20), end to end: the agent's cgroup_skb
programs attached to the test's own cgroup (--cgroup-root), traffic between
processes of the test's cgroups (tests/e2e/net_peer.py), over loopback or
through a veth pair between two network namespaces that the test makes with
`ip netns` and removes, also when it fails.

- A client sends N bytes over TCP to a server in another cgroup: the
  client's transmit bytes and the server's receive bytes are at least N and
  at most N plus a header per packet counted (plus what TCP sent again, as
  the client's own socket reports it); their parent's figures are exactly
  the sum; cAdvisor's are each cgroup's own; the JSON says the same.
- Through a veth pair the figures are the interfaces' counters of
  /proc/net/dev in each namespace, packet for packet, less the Ethernet
  header veth counts in every frame.
- TCP retransmissions are the socket's own count (TCP_INFO).
- Traffic flows, TCP and UDP, while the agent starts, runs and is killed
  with SIGKILL, and nothing stays attached.
- --collect.network=false attaches nothing; a freed cgroup's counts stay in
  its parent's figures."""
import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import CGSCOPE, parse_metrics, series, wait_for

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "net_peer.py")
ETH_HLEN = 14
# The most an IP packet's headers take: IPv4 20 + TCP 60, IPv6 40 + TCP 60.
HEADERS = {"127.0.0.1": 80, "::1": 100}
FIGURES = {
    "rx_bytes": "cgroup_network_receive_bytes_total",
    "rx_packets": "cgroup_network_receive_packets_total",
    "tx_bytes": "cgroup_network_transmit_bytes_total",
    "tx_packets": "cgroup_network_transmit_packets_total",
    "retrans": "cgroup_tcp_retransmits_total",
}


# --- the test's processes ----------------------------------------------------

class Peer:
    """net_peer.py as a process of one of the test's cgroups, from its first
    instruction (sockets belong to the cgroup of the process that makes
    them), in a network namespace if given."""

    def __init__(self, tree, parts, args, netns=None):
        procs = os.path.join(tree.path, *parts, "cgroup.procs")
        pre = ["ip", "netns", "exec", netns] if netns else []
        self.p = subprocess.Popen(["sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *pre,
                                   sys.executable, PEER, *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        tree.procs.append(self.p)
        self.buf = b""

    def line(self, timeout=60):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise AssertionError(f"net_peer.py said nothing within {timeout} s")
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError("net_peer.py ended: " + self.p.stderr.read().decode())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def result(self, timeout=60):
        out = json.loads(self.line(timeout))
        assert self.p.wait(timeout) == 0, self.p.stderr.read().decode()
        return out

    def tell(self, text):
        self.p.stdin.write(text.encode() + b"\n")
        self.p.stdin.flush()


def serve(tree, parts, addr, netns=None):
    srv = Peer(tree, parts, ["server", addr, "0"], netns)
    port = srv.line().split()[1]
    return srv, port


def transfer(tree, cli_parts, srv_parts, addr, nbytes, netns=(None, None), *extra):
    """N bytes from a client to a server; both ends' reports."""
    srv, port = serve(tree, srv_parts, addr, netns[1])
    cli = Peer(tree, cli_parts, ["client", addr, port, str(nbytes), *extra], netns[0])
    c = cli.result()
    s = srv.result()
    assert c["sent"] == s["received"] == nbytes and c["sha256"] == s["sha256"], (c, s)
    return c


# --- what the agent says -----------------------------------------------------

def page(agent):
    return parse_metrics(agent.get("/metrics"))


def figures(m, cgroup):
    return {k: series(m, name, cgroup=cgroup) for k, name in FIGURES.items()}


def settled(agent, cgroups, cycles=3):
    """The page once the figures of these cgroups stopped moving for a few
    scrapes (the agent reads the kernel's table once a cycle)."""
    last, same = None, 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = page(agent)
        now = [figures(m, c) for c in cgroups]
        same = same + 1 if now == last else 0
        if same >= cycles and all(v is not None for f in now for v in f.values()):
            return m
        last = now
        time.sleep(0.25)
    raise AssertionError(f"figures did not settle: {last}")


def cadvisor(m, family, cgroup):
    """A cAdvisor series of a cgroup with no container names (its labels
    include `name`, which series() takes for itself)."""
    labels = {"container": "", "id": cgroup, "image": "", "name": "", "namespace": "",
              "pod": "", "interface": "all"}
    return m.get((family, frozenset(labels.items())))


def bpftool_json(*args):
    r = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip() or "[]")


def attached(path):
    """The programs attached to the cgroup at path, by name."""
    return sorted(p.get("name", "") for p in bpftool_json("cgroup", "show", path))


def cgroup_links(cgroup_id):
    return [l for l in bpftool_json("link", "list")
            if l.get("type") == "cgroup" and l.get("cgroup_id") == cgroup_id]


# --- network namespaces ------------------------------------------------------

def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


class VethPair:
    """Two network namespaces joined by a veth pair: A (192.0.2.1, va) and
    B (192.0.2.2, vb). No IPv6 and static neighbours, so that nothing but
    the test's own packets crosses the link (no ARP, no neighbour
    discovery): what the interfaces count is the test's traffic."""
    MAC = {"a": "02:00:00:00:00:0a", "b": "02:00:00:00:00:0b"}
    ADDR = {"a": "192.0.2.1", "b": "192.0.2.2"}

    def __init__(self):
        self.ns = {}
        base = "cgscope-test-" + uuid.uuid4().hex[:8]
        try:
            for side in ("a", "b"):
                self.ns[side] = f"{base}-{side}"
                ip("netns", "add", self.ns[side])
                for key in ("all", "default"):
                    ip("netns", "exec", self.ns[side], "sysctl", "-qw",
                       f"net.ipv6.conf.{key}.disable_ipv6=1")
            ip("link", "add", "va", "netns", self.ns["a"], "type", "veth",
               "peer", "name", "vb", "netns", self.ns["b"])
            for side, other in (("a", "b"), ("b", "a")):
                dev = "v" + side
                ip("-n", self.ns[side], "link", "set", dev, "address", self.MAC[side])
                ip("-n", self.ns[side], "addr", "add", self.ADDR[side] + "/24", "dev", dev)
                ip("-n", self.ns[side], "neigh", "add", self.ADDR[other], "lladdr",
                   self.MAC[other], "dev", dev, "nud", "permanent")
                ip("-n", self.ns[side], "link", "set", dev, "up")
        except BaseException:
            self.remove()
            raise

    def counters(self, side):
        """rx/tx bytes and packets of the side's veth, from /proc/net/dev as
        a process in its namespace reads it."""
        out = ip("netns", "exec", self.ns[side], "cat", "/proc/net/dev")
        for line in out.splitlines():
            name, _, rest = line.partition(":")
            if name.strip() == "v" + side:
                f = [int(x) for x in rest.split()]
                return {"rx_bytes": f[0], "rx_packets": f[1], "tx_bytes": f[8], "tx_packets": f[9]}
        raise AssertionError(f"no v{side} in /proc/net/dev: {out}")

    def break_link(self, broken):
        """Frames from A to B go to a MAC that is not B's (B drops them), or
        to B's again."""
        mac = "02:00:00:00:00:99" if broken else self.MAC["b"]
        ip("-n", self.ns["a"], "neigh", "replace", self.ADDR["b"], "lladdr", mac, "dev", "va",
           "nud", "permanent")

    def remove(self):
        for ns in self.ns.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self.ns = {}


@pytest.fixture
def veth():
    pair = VethPair()
    try:
        yield pair
    finally:
        pair.remove()


def net_agent(agent_factory, tree, *args):
    return agent_factory(f"--cgroup-root={tree.path}", "--interval=200ms", *args)


# --- the tests ---------------------------------------------------------------

@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_tcp_between_two_cgroups(addr, cgtree, agent_factory):
    for d in (("p",), ("p", "client"), ("p", "server")):
        cgtree.mkdir(*d)
    agent = net_agent(agent_factory, cgtree, "--compat=cadvisor")
    m = page(agent)
    assert series(m, "cgscope_bpf_hook_info", feature="network", hook="cgroup_skb") == 1
    n = 4_000_000
    c = transfer(cgtree, ("p", "client"), ("p", "server"), addr, n)
    m = settled(agent, ["/", "/p", "/p/client", "/p/server"])
    cli, srv, par, root = (figures(m, x) for x in ("/p/client", "/p/server", "/p", "/"))
    hdr = HEADERS[addr]
    # What was sent, and at most a header per packet more (and what TCP sent
    # again, by the client socket's own count, which is the family's).
    assert n <= cli["tx_bytes"] <= n + hdr * cli["tx_packets"] + c["bytes_retrans"], cli
    assert n <= srv["rx_bytes"] <= n + hdr * srv["rx_packets"] + c["bytes_retrans"], srv
    assert cli["retrans"] == c["total_retrans"], (cli, c)
    # The other way, only headers: ACKs and the handshake.
    assert 0 < cli["rx_bytes"] <= hdr * cli["rx_packets"]
    assert 0 < srv["tx_bytes"] <= hdr * srv["tx_packets"]
    # The parent has no socket: its figures are its children's, and so are
    # the root's.
    for k in FIGURES:
        assert par[k] == cli[k] + srv[k], (k, par, cli, srv)
        assert root[k] == par[k], (k, root, par)
    # cAdvisor's: each cgroup's own sockets, so a sum counts a byte once.
    own = {x: cadvisor(m, "container_network_receive_bytes_total", x)
           for x in ("/", "/p", "/p/client", "/p/server")}
    assert own == {"/": 0, "/p": 0, "/p/client": cli["rx_bytes"], "/p/server": srv["rx_bytes"]}
    assert cadvisor(m, "container_network_transmit_packets_total", "/p/client") == cli["tx_packets"]
    # The JSON: the subtree's figures, and the cgroup's own.
    doc = json.loads(agent.get("/api/v1/cgroup?path=/p"))
    net = doc["network"]
    assert net["receive_bytes"] == par["rx_bytes"] and net["transmit_packets"] == par["tx_packets"]
    assert net["tcp_retransmits"] == par["retrans"]
    assert net["own"]["receive_bytes"] == 0 and net["own"]["transmit_bytes"] == 0


def assert_each_side_is_its_interface(m, dev):
    """The client's cgroup is veth side a, the server's side b, packet for
    packet: veth counts the frame, Ethernet header (14 bytes) included;
    cgscope the IP packet."""
    for cg, side in (("/client", "a"), ("/server", "b")):
        f = figures(m, cg)
        d = dev[side]
        assert f["tx_packets"] == d["tx_packets"] and f["rx_packets"] == d["rx_packets"], (cg, f, d)
        assert f["tx_bytes"] == d["tx_bytes"] - ETH_HLEN * d["tx_packets"], (cg, f, d)
        assert f["rx_bytes"] == d["rx_bytes"] - ETH_HLEN * d["rx_packets"], (cg, f, d)


def test_veth_figures_are_the_interface_counters(cgtree, agent_factory, veth):
    cgtree.mkdir("client")
    cgtree.mkdir("server")
    agent = net_agent(agent_factory, cgtree)
    before = {side: veth.counters(side) for side in ("a", "b")}
    n = 3_000_000
    transfer(cgtree, ("client",), ("server",), veth.ADDR["b"], n, (veth.ns["a"], veth.ns["b"]))
    m = settled(agent, ["/", "/client", "/server"])
    dev = {side: {k: v - before[side][k] for k, v in veth.counters(side).items()}
           for side in ("a", "b")}
    # Nothing else crossed the link: the same packets, each side.
    assert_each_side_is_its_interface(m, dev)
    # The sum over every cgroup (the root's figure) is both sides' together.
    root = figures(m, "/")
    assert root["tx_packets"] == dev["a"]["tx_packets"] + dev["b"]["tx_packets"]
    assert root["rx_bytes"] == sum(d["rx_bytes"] - ETH_HLEN * d["rx_packets"] for d in dev.values())
    assert figures(m, "/client")["tx_bytes"] >= n


def test_veth_parallel_flows_are_counted_exactly(cgtree, agent_factory, veth):
    """Eight flows at once from one cgroup to another, on two CPUs: senders
    in process context and the ACKs and sends of softirqs add to the same
    cgroup's counters on the same CPU, which must lose none of them
    (hence the atomic adds)."""
    cgtree.mkdir("client")
    cgtree.mkdir("server")
    agent = net_agent(agent_factory, cgtree)
    before = {side: veth.counters(side) for side in ("a", "b")}
    n, flows = 2_000_000, 8
    servers = [serve(cgtree, ("server",), veth.ADDR["b"], veth.ns["b"]) for _ in range(flows)]
    clients = [Peer(cgtree, ("client",), ["client", veth.ADDR["b"], port, str(n)], veth.ns["a"])
               for _, port in servers]
    for cli, (srv, _) in zip(clients, servers):
        c, s = cli.result(timeout=120), srv.result(timeout=120)
        assert c["sent"] == s["received"] == n and c["sha256"] == s["sha256"], (c, s)
    m = settled(agent, ["/", "/client", "/server"])
    dev = {side: {k: v - before[side][k] for k, v in veth.counters(side).items()}
           for side in ("a", "b")}
    assert_each_side_is_its_interface(m, dev)


def test_retransmits_are_the_sockets_own(cgtree, agent_factory, veth):
    """Frames from A go nowhere for a while, mid-transfer: the client's
    socket sends again what was not acknowledged."""
    cgtree.mkdir("client")
    cgtree.mkdir("server")
    agent = net_agent(agent_factory, cgtree)
    srv, port = serve(cgtree, ("server",), veth.ADDR["b"], veth.ns["b"])
    cli = Peer(cgtree, ("client",), ["client", veth.ADDR["b"], port, "600000",
                                     "--pause-at", "100000"], veth.ns["a"])
    assert cli.line() == "paused"
    veth.break_link(True)
    try:
        cli.tell("go")
        # A retransmission timer or two fire meanwhile (200 ms at least).
        wait_for(lambda: (figures(page(agent), "/client")["retrans"] or 0) >= 2, timeout=20)
    finally:
        veth.break_link(False)
    c = cli.result()
    s = srv.result()
    assert c["sent"] == s["received"] and c["sha256"] == s["sha256"]
    m = settled(agent, ["/client", "/server"])
    assert c["total_retrans"] >= 2
    assert figures(m, "/client")["retrans"] == c["total_retrans"], c
    assert figures(m, "/")["retrans"] == c["total_retrans"] + figures(m, "/server")["retrans"]


def test_traffic_flows_while_the_agent_starts_runs_and_is_killed(cgtree, agent_factory):
    cgtree.mkdir("a")
    cgtree.mkdir("b")
    n, rate = 12_000_000, 2_000_000.0
    srv, port = serve(cgtree, ("b",), "127.0.0.1")
    cli = Peer(cgtree, ("a",), ["client", "127.0.0.1", port, str(n), "--rate", str(rate)])
    urecv = Peer(cgtree, ("b",), ["udp-recv", "127.0.0.1", "0", "3000"])
    uport = urecv.line().split()[1]
    usend = Peer(cgtree, ("a",), ["udp-send", "127.0.0.1", uport, "3000", "500"])
    time.sleep(1)
    agent = net_agent(agent_factory, cgtree)
    assert attached(cgtree.path) == ["cgskb_egress", "cgskb_ingress"]
    assert len(cgroup_links(cgtree.ino())) == 2
    # It counts the flow while it runs...
    assert wait_for(lambda: (figures(page(agent), "/a")["tx_bytes"] or 0) > 100_000, timeout=20)
    # ...and, killed, leaves nothing attached.
    agent.proc.kill()
    agent.proc.wait(10)
    assert wait_for(lambda: attached(cgtree.path) == [] and not cgroup_links(cgtree.ino()),
                    timeout=10), (attached(cgtree.path), cgroup_links(cgtree.ino()))
    # The traffic went through whole, before, during and after: every byte
    # of the TCP stream, every UDP datagram (UDP is not sent again: a
    # packet the programs dropped would be missing).
    c = cli.result(timeout=120)
    s = srv.result(timeout=120)
    assert c["sent"] == s["received"] == n and c["sha256"] == s["sha256"]
    assert usend.result(timeout=120) == {"sent": 3000}
    assert urecv.result(timeout=120) == {"received": 3000}


def test_collect_network_false_attaches_nothing(cgtree, agent_factory):
    agent = net_agent(agent_factory, cgtree, "--collect.network=false")
    m = page(agent)
    assert attached(cgtree.path) == []
    assert not cgroup_links(cgtree.ino())
    assert series(m, "cgscope_bpf_hook_info", feature="network", hook="none") == 1
    assert series(m, "cgscope_bpf_hook_info", feature="tcp_retransmit", hook="none") == 1
    assert not [k for k in m if k[0].startswith(("cgroup_network_", "cgroup_tcp_", "cgscope_bpf_network"))]
    assert "network" not in json.loads(agent.get("/api/v1/cgroup?path=/"))
    # The rest of BPF is there as ever.
    assert series(m, "cgscope_bpf_hook_info", feature="migration", hook="tp_btf") == 1
    assert series(m, "cgscope_bpf_loaded") == 1


def test_freed_cgroups_stay_in_their_parents_figures(cgtree, agent_factory):
    """Children the filter leaves out count in their parent's figures, and
    so do children the kernel has freed: a parent's counters never go
    down."""
    for d in (("p",), ("p", "c1"), ("p", "c2")):
        cgtree.mkdir(*d)
    agent = net_agent(agent_factory, cgtree, "--max-depth=1")
    transfer(cgtree, ("p", "c1"), ("p", "c2"), "127.0.0.1", 2_000_000)
    m = settled(agent, ["/p"])
    par = figures(m, "/p")
    assert par["tx_bytes"] >= 2_000_000 and par["rx_bytes"] >= 2_000_000
    assert figures(m, "/p/c1")["tx_bytes"] is None      # not served: --max-depth
    assert series(m, "cgscope_bpf_network_slots_used") == 4
    cgtree.rmdir("p", "c1")
    cgtree.rmdir("p", "c2")
    # Once the kernel frees them, their slots go back; their counts are the
    # parent's.
    assert wait_for(lambda: series(page(agent), "cgscope_bpf_network_slots_used") == 2,
                    timeout=20)
    m = settled(agent, ["/p"])
    assert figures(m, "/p") == par
    assert figures(m, "/") == par


def test_top_shows_the_rates(cgtree, agent_factory):
    cgtree.mkdir("a")
    cgtree.mkdir("b")
    agent = net_agent(agent_factory, cgtree)
    srv, port = serve(cgtree, ("b",), "127.0.0.1")
    cli = Peer(cgtree, ("a",), ["client", "127.0.0.1", port, "6000000", "--rate", "1000000"])
    from test_top import parse_frames, rows
    r = subprocess.run([CGSCOPE, "top", "-b", "-n", "3", "-d", "1", "--flat", "--raw",
                        "--sort", "network", "--url", agent.url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    last = parse_frames(r.stdout)[-1]
    shown = rows(last)
    # Bytes per second, both ways, of each cgroup: no dash.
    for cg in ("/a", "/b"):
        assert int(shown[cg]["Tx/s"]) > 0 and int(shown[cg]["Rx/s"]) > 0, shown
    # Sorted by network: the root, which has both, first.
    assert last["rows"][0][0] == "/"
    assert "sort network" in last["header"][1]
    cli.result(timeout=60)
    srv.result(timeout=60)
