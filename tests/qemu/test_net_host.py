"""From the host into capOS: the networked system (system/net.capnp) boots
with QEMU's user network forwarding two free ports on the host's 127.0.0.1
to guest ports 7 (echo) and 9 (closer), and this test talks TCP to them
like any host program would (docs/network.md, "From the host").

The system serves until it is stopped: once every check has run, the test
ends QEMU itself (SIGTERM). All traffic stays on 127.0.0.1; every wait is
bounded.
"""
import hashlib
import os
import queue
import random
import re
import socket
import struct
import subprocess
import threading
import time

import harness
from harness import BUILD, CaseFailed, case, expect, kernel_image

BOOT_TIMEOUT_S = 30     # to the DHCP lease and echo listening
IO_TIMEOUT_S = 10      # any one socket operation
BIG = 16 << 20          # issue 7: 16 MiB through one connection
MANY = 16               # connections at once
MANY_BYTES = 256 << 10  # through each of them

UP_LINE = "[netstack] netstack: dhcp address 10.0.2.15 netmask " \
          "255.255.255.0 gateway 10.0.2.2"

# Symbols of a TCP/IP stack or a virtio driver (as in test_image.py).
NET_SYMBOLS = re.compile(r"lwip|tcp_|udp_|etharp|netif|pbuf|ip4_|dhcp|"
                         r"virtio|virtq|vring", re.IGNORECASE)


def free_port():
    """A loopback port nobody listens on now; QEMU binds it a moment
    later (a lost race shows as QEMU failing to start, and is retried)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    """One boot of the networked system, its console read by a thread."""

    def __init__(self):
        self.echo_port = free_port()
        self.closer_port = free_port()
        fwd = (f"user,id=n0,hostfwd=tcp:127.0.0.1:{self.echo_port}-:7,"
               f"hostfwd=tcp:127.0.0.1:{self.closer_port}-:9")
        # The headers (first 128 bytes) of every frame on the link are
        # captured, for checks of what the guest put on the wire.
        self.pcap = os.path.join(BUILD, "tests", "net-host.pcap")
        os.makedirs(os.path.dirname(self.pcap), exist_ok=True)
        cmd = harness.qemu_command(
            kernel=kernel_image(), initrd=os.path.join(BUILD, "net.pkg"),
            extra=["-netdev", fwd, "-device", "virtio-net-pci,netdev=n0",
                   "-object",
                   f"filter-dump,id=d0,netdev=n0,file={self.pcap},"
                   "maxlen=128"])
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.new = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            self.new.put(line)
        self.new.put(None)

    def wait_line(self, text, timeout):
        """Waits for a console line containing text (seen before or new)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if text in line:
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed(f"no line containing {text!r} within "
                                 f"{timeout} s")
            try:
                if self.new.get(timeout=left) is None:
                    raise CaseFailed(f"QEMU exited (status "
                                     f"{self.proc.wait()}) before a line "
                                     f"containing {text!r}")
            except queue.Empty:
                pass

    def has_line(self, text):
        return any(text in line for line in self.lines)

    def stop(self):
        """Ends QEMU and records the boot for the runner's failure log."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.reader.join(timeout=5)
        harness.RUNS.append(harness.Run(status, "\n".join(self.lines) + "\n",
                                        time.monotonic() - self.start, False))
        return status


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise CaseFailed(f"connection closed after {len(buf)} of {n} "
                             "bytes")
        buf += chunk
    return bytes(buf)


def echo_stream(port, data):
    """Sends data while reading the echo (both directions in flight, as a
    window's worth would otherwise deadlock), half-closes, and returns
    (bytes back, their SHA-256, whether the echo then ended the stream)."""
    errors = []

    with connect(port) as s:
        def send():
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                errors.append(e)
        t = threading.Thread(target=send, daemon=True)
        t.start()
        h = hashlib.sha256()
        got = 0
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
            if got > len(data):
                break
        t.join(timeout=IO_TIMEOUT_S)
    if errors:
        raise CaseFailed(f"sending {len(data)} bytes failed: {errors[0]}")
    return got, h.hexdigest()


def check_small(g):
    """Small messages, one at a time on one connection, then each on its
    own connection."""
    msgs = [b"x", b"hello capOS\n", bytes(range(256)), b"\0" * 1460,
            b"\xff" * 1461, bytes(random.Random(7).randbytes(5000))]
    with connect(g.echo_port) as s:
        for m in msgs:
            s.sendall(m)
            back = recv_exact(s, len(m))
            if back != m:
                raise CaseFailed(f"echo of {len(m)} bytes came back "
                                 f"different")
    for m in msgs[:3]:
        with connect(g.echo_port) as s:
            s.sendall(m)
            s.shutdown(socket.SHUT_WR)
            back = recv_exact(s, len(m))
            if s.recv(1) != b"":
                raise CaseFailed("the echo did not close after our FIN")
            if back != m:
                raise CaseFailed("a short echo came back different")


def check_big(g):
    data = random.Random(16).randbytes(BIG)
    want = hashlib.sha256(data).hexdigest()
    t0 = time.monotonic()
    got, sha = echo_stream(g.echo_port, data)
    secs = time.monotonic() - t0
    expect(None, got == BIG, f"16 MiB echo: {got} of {BIG} bytes came back")
    expect(None, sha == want, f"16 MiB echo: SHA-256 {sha}, sent {want}")
    return secs


def check_many(g):
    datas = [random.Random(100 + i).randbytes(MANY_BYTES)
             for i in range(MANY)]
    results = [None] * MANY

    def one(i):
        try:
            results[i] = echo_stream(g.echo_port, datas[i])
        except (OSError, CaseFailed) as e:
            results[i] = e
    threads = [threading.Thread(target=one, args=(i,), daemon=True)
               for i in range(MANY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2 * IO_TIMEOUT_S)
    for i, r in enumerate(results):
        if not isinstance(r, tuple):
            raise CaseFailed(f"connection {i} of {MANY}: {r!r}")
        want = hashlib.sha256(datas[i]).hexdigest()
        expect(None, r == (MANY_BYTES, want),
               f"connection {i} of {MANY}: {r[0]} bytes back, sum "
               f"{'matches' if r[1] == want else 'differs'}")


def check_client_abort(g):
    """The client goes away with data in flight both ways: once with a
    plain close (unread data makes the host reset), once with an abortive
    close (SO_LINGER 0). The echo and the netstack carry on."""
    blob = random.Random(3).randbytes(1 << 20)
    for linger in (False, True):
        s = connect(g.echo_port)
        s.sendall(blob[:256 << 10])
        recv_exact(s, 4096)     # the echo is under way
        if linger:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\0\0\0\0\0\0\0")
        s.close()
    # Fresh connections still echo, every byte.
    got, sha = echo_stream(g.echo_port, blob)
    expect(None, (got, sha) == (len(blob), hashlib.sha256(blob).hexdigest()),
           f"after clients aborted, a 1 MiB echo came back as {got} bytes")


def check_server_closes(g):
    """closer answers one connection with "bye" and closes it first: the
    host sees the greeting and then the end of the stream."""
    with connect(g.closer_port) as s:
        got = bytearray()
        while len(got) < 16:
            chunk = s.recv(16)
            if not chunk:
                break
            got += chunk
    expect(None, bytes(got) == b"bye\n",
           f"closer sent {bytes(got)!r}, then should have closed")
    g.wait_line("nettest closer: said bye and closed first", IO_TIMEOUT_S)
    g.wait_line("[init] closer exited with status 0", IO_TIMEOUT_S)


def tcp_segments(path):
    """(src port, dst port, seq, ack, flags, payload length, the part of
    the payload captured) of each IPv4 TCP segment in a libpcap file of
    Ethernet frames (which may be cut short)."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 15) * 4
        total = struct.unpack_from(">H", frame, 16)[0]
        t = 14 + ihl
        if len(frame) < t + 20:
            continue
        sport, dport, seq, ack, off_flags = struct.unpack_from(">HHIIH",
                                                                frame, t)
        hl = (off_flags >> 12) * 4
        out.append((sport, dport, seq, ack, off_flags & 0x3F,
                    total - ihl - hl, frame[t + hl:14 + total]))
    return out


def check_quick_ack(g):
    """A young connection's first data segment is ACKed at once, not held
    for lwIP's delayed-ACK timer: a sender in slow start that has sent one
    segment would otherwise wait up to 250 ms. Seen on the wire: a bare
    ACK of exactly that segment, ahead of the echo's own data (which
    would otherwise carry the ACK)."""
    marker = b"quick-ack probe "
    with connect(g.echo_port) as s:
        s.sendall(marker * 8)
        recv_exact(s, len(marker) * 8)
    time.sleep(0.2)     # QEMU writes the capture as frames pass
    segs = tcp_segments(g.pcap)
    first = [x for x in segs if x[1] == 7 and x[6].startswith(marker)]
    expect(None, len(first) >= 1, "the probe's first segment is not in "
           "the capture")
    sport, _, seq, _, _, length, _ = first[0]
    end = (seq + length) & 0xFFFFFFFF
    bare = [x for x in segs if x[0] == 7 and x[1] == sport and
            x[4] & 0x10 and x[5] == 0 and x[3] == end]
    expect(None, bare, f"no bare ACK of the first segment (ack {end}) "
           "from the guest")


def check_no_net_code_in_kernel():
    """The network stack and the driver are in their userspace programs
    and not in the kernel."""
    def symbols(path):
        out = subprocess.run(["nm", path], capture_output=True, text=True,
                             check=True).stdout
        return [ln.split()[-1] for ln in out.splitlines() if ln.strip()]
    kernel = symbols(kernel_image())
    bad = [n for n in kernel if NET_SYMBOLS.search(n)]
    expect(None, len(kernel) > 100 and not bad,
           f"network symbols in the kernel: {bad[:10]}")
    user = os.path.join(BUILD, "user")
    stack = symbols(os.path.join(user, "netstack"))
    driver = symbols(os.path.join(user, "virtio-net"))
    expect(None, "tcp_input" in stack and "dhcp_start" in stack,
           "the netstack binary holds no lwIP")
    expect(None, "vq_kick" in driver, "the virtio-net binary holds no "
           "virtqueue code")


@case
def host_reaches_echo_through_virtio_net_and_netstack():
    check_no_net_code_in_kernel()
    for attempt in range(3):
        g = Guest()
        try:
            g.wait_line("[proof] boot ok", BOOT_TIMEOUT_S)
            break
        except CaseFailed:
            # A forward port taken in the meantime stops QEMU at once.
            if g.proc.poll() is None or attempt == 2:
                g.stop()
                raise
            g.stop()
            harness.RUNS.pop()
    try:
        g.wait_line("[virtio-net] up: mac 52:54:00:12:34:56, link up",
                    BOOT_TIMEOUT_S)
        g.wait_line(UP_LINE, BOOT_TIMEOUT_S)
        # echo holds only the console and the port-7 authority, and
        # nothing else it tries can be reached.
        g.wait_line("[proof] echo-confined ok caps=2 attempts=512",
                    BOOT_TIMEOUT_S)
        g.wait_line("echo: listening", BOOT_TIMEOUT_S)
        check_small(g)
        check_quick_ack(g)
        secs = check_big(g)
        check_many(g)
        check_client_abort(g)
        check_server_closes(g)
        # After all of it the echo still answers.
        check_small(g)
        for bad in ("panic", "FAILED", "invariant broken", "faulted",
                    "[init] echo exited", "[init] netstack exited",
                    "[init] virtio-net exited", "bad device entries"):
            expect(None, not g.has_line(bad),
                   f"unexpected console line containing {bad!r}")
        print(f"     16 MiB echoed in {secs:.2f} s "
              f"({BIG / (1 << 20) / secs:.1f} MiB/s each way)", flush=True)
    finally:
        g.stop()
