# SPDX-License-Identifier: GPL-2.0-only
"""The two ends of the network tests' traffic (test_network.py), run as
processes of the tests' own cgroups (and network namespaces):

  net_peer.py server ADDR PORT
      takes one TCP connection, reads it to its end, closes it; prints
      "ready PORT" once listening, then {"received", "sha256"} as JSON
  net_peer.py client ADDR PORT BYTES [--rate BYTES_PER_S] [--pause-at BYTES]
      sends BYTES of a fixed pattern, paced at --rate, waiting after
      --pause-at bytes for a line on stdin ("paused" on stdout says it
      waits); then shuts its side, waits for the server's end, and prints
      {"sent", "sha256", "total_retrans", "bytes_retrans"} (TCP_INFO: what
      the kernel sent again)
  net_peer.py udp-recv ADDR PORT COUNT
      counts datagrams until COUNT came, or 3 s passed without one; prints
      "ready PORT", then {"received"}
  net_peer.py udp-send ADDR PORT COUNT RATE
      sends COUNT datagrams of 1,000 bytes at RATE a second; prints {"sent"}

ADDR says the family (":" in it: IPv6). Exits non-zero on any error."""
import hashlib
import json
import socket
import struct
import sys
import time

PATTERN = bytes(range(251)) * 262      # 65,762 bytes, not a power of two
TCP_INFO_SIZE = 232                    # struct tcp_info of linux/tcp.h
TOTAL_RETRANS_AT, BYTES_RETRANS_AT = 100, 208


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def say(x):
    print(x if isinstance(x, str) else json.dumps(x), flush=True)


def server(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    say(f"ready {s.getsockname()[1]}")
    c, _ = s.accept()
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    c.close()
    say({"received": n, "sha256": h.hexdigest()})


def client(addr, port, nbytes, rate=0.0, pause_at=None):
    c = socket.create_connection((addr, int(port)), timeout=60)
    h, sent, t0 = hashlib.sha256(), 0, time.monotonic()
    while sent < nbytes:
        if pause_at is not None and sent >= pause_at:
            say("paused")
            sys.stdin.readline()
            pause_at = None
        chunk = PATTERN[: min(len(PATTERN), nbytes - sent, 16384 if rate else len(PATTERN))]
        c.sendall(chunk)
        h.update(chunk)
        sent += len(chunk)
        if rate:
            ahead = t0 + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    c.shutdown(socket.SHUT_WR)
    # The server's FIN acknowledges ours: nothing is sent again after it.
    if c.recv(1) != b"":
        raise SystemExit("the server sent data")
    ti = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
    total, = struct.unpack_from("I", ti, TOTAL_RETRANS_AT)
    nbytes_re, = struct.unpack_from("Q", ti, BYTES_RETRANS_AT)
    c.close()
    say({"sent": sent, "sha256": h.hexdigest(), "total_retrans": total,
         "bytes_retrans": nbytes_re})


def udp_recv(addr, port, count):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, int(port)))
    say(f"ready {s.getsockname()[1]}")
    n = 0
    s.settimeout(3)
    try:
        while n < int(count):
            s.recv(2048)
            n += 1
    except socket.timeout:
        pass
    say({"received": n})


def udp_send(addr, port, count, rate):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    t0, payload = time.monotonic(), b"u" * 1000
    for i in range(int(count)):
        s.sendto(payload, (addr, int(port)))
        ahead = t0 + (i + 1) / float(rate) - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    say({"sent": int(count)})


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "server":
        server(*args)
    elif cmd == "client":
        opts = {"rate": 0.0, "pause_at": None}
        while len(args) > 3:
            flag, value = args[-2], args[-1]
            opts[flag.lstrip("-").replace("-", "_")] = float(value) if flag == "--rate" else int(value)
            args = args[:-2]
        client(args[0], args[1], int(args[2]), **opts)
    elif cmd == "udp-recv":
        udp_recv(*args)
    elif cmd == "udp-send":
        udp_send(*args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
