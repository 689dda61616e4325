"""Boot one guest in QEMU, read its [bench] lines, drive its TCP rows.

Both guests get the command line built here and differ only in -kernel,
-initrd and -append, so a difference in a row is the guests' doing.
"""
import fcntl
import os
import queue
import socket
import subprocess
import threading
import time

import netclient
import protocol
from rows import HOST_KEYS, UNIT_OF

# The guest's TCP bench server port (docs/benchmarks.md); the forward from
# a free 127.0.0.1 port on the host is set up before the guest boots.
GUEST_NET_PORT = 5001

MEMORY = "512M"

# KVM_GET_API_VERSION: _IO(KVMIO = 0xAE, 0x00); the stable API answers 12.
_KVM_GET_API_VERSION = 0xAE00


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, _KVM_GET_API_VERSION) == 12
    except OSError:
        return False
    finally:
        os.close(fd)


def free_port():
    """A loopback port nobody listens on now (QEMU binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(qemu, accel, cpu, kernel, initrd, append, host_port,
                 forwards=None, smp=1):
    """forwards: [(host port, guest port)], by default host_port to the
    TCP bench server. With several CPUs (smp) TCG runs one host thread per
    CPU (multi-threaded TCG), named so whatever QEMU's default."""
    if forwards is None:
        forwards = [(host_port, GUEST_NET_PORT)]
    fwd = ",".join(f"hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in forwards)
    if accel == "tcg" and smp > 1:
        accel = "tcg,thread=multi"
    cmd = [qemu, "-machine", "q35", "-accel", accel, "-cpu", cpu,
           "-m", MEMORY, "-smp", str(smp),
           "-nodefaults", "-no-reboot", "-serial", "stdio",
           "-display", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           # restrict=on: the guest reaches nothing; only the forward
           # from the host's loopback comes in.
           "-netdev", f"user,id=net0,restrict=on,{fwd}",
           "-device", "virtio-net-pci,netdev=net0",
           "-kernel", kernel]
    if initrd:
        cmd += ["-initrd", initrd]
    if append:
        cmd += ["-append", append]
    return cmd


def _reader(stream, log, q):
    for raw in stream:
        line = raw.decode("utf-8", "replace")
        log.write(line)
        log.flush()
        q.put((time.monotonic(), line))
    q.put((time.monotonic(), None))


class Run:
    """What one boot of one guest produced."""

    def __init__(self, side):
        self.side = side
        self.rows = {}
        self.iters = {}
        self.tsc_hz = None
        self.errors = []
        self.started = False
        self.ended = False
        self.exit_status = None

    def as_json(self):
        return {"rows": self.rows, "iters": self.iters, "tsc_hz": self.tsc_hz,
                "errors": self.errors, "started": self.started,
                "ended": self.ended, "exit_status": self.exit_status}

    def add_row(self, key, value, unit, iters):
        expected = UNIT_OF[self.side].get(key)
        if expected is None:
            self.errors.append(f"row {key} is not a {self.side} key in "
                               "bench/rows.py")
        elif key in HOST_KEYS:
            self.errors.append(f"row {key} is measured by the harness, "
                               "not the guest")
        elif unit != expected:
            self.errors.append(f"row {key}: unit {unit}, expected {expected}")
        elif key in self.rows:
            self.errors.append(f"row {key} printed twice")
        else:
            self.rows[key] = value
            self.iters[key] = iters


def run_guest(side, cmd, host_port, net_sizes, timeout_s, log_path):
    """Boot the guest and follow the protocol until "[bench] end", the
    guest's exit, or timeout_s. net_sizes = (bytes per transfer,
    connections) for the TCP rows."""
    run = Run(side)
    lines = queue.Queue()
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        reader = threading.Thread(target=_reader,
                                  args=(proc.stdout, log, lines), daemon=True)
        reader.start()
        try:
            _follow(run, lines, t0, t0 + timeout_s, host_port, net_sizes)
        finally:
            run.exit_status = _stop(proc, run)
            reader.join(timeout=5)
    return run


def _follow(run, lines, t0, deadline, host_port, net_sizes):
    last = ""
    while not run.ended:
        try:
            t, line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            run.errors.append(f"timed out after {deadline - t0:.0f} s")
            return
        if line is None:
            where = "the guest started" if not run.started else "[bench] end"
            run.errors.append(f"QEMU exited before {where} "
                              f"(last output: {last!r})")
            return
        try:
            msg = protocol.parse(line)
        except protocol.ProtocolError as e:
            run.errors.append(str(e))
            continue
        if msg is None:
            if line.strip():
                last = line.strip()
            # QEMU stops the virtual CPU and keeps running after this.
            if line.startswith("KVM internal error"):
                run.errors.append(f"{last} (see the log)")
                return
            continue
        kind = msg[0]
        if kind != "start" and not run.started:
            run.errors.append(f"{kind} line before [bench] start")
        if kind == "start":
            if run.started:
                run.errors.append("[bench] start printed twice")
                continue
            run.started = True
            run.rows["qemu_to_init"] = (t - t0) * 1000.0
            run.iters["qemu_to_init"] = 1
        elif kind == "tsc_hz":
            run.tsc_hz = msg[1]
        elif kind == "row":
            run.add_row(*msg[1:])
        elif kind == "net":
            if msg[1] != GUEST_NET_PORT:
                run.errors.append(f"guest serves port {msg[1]}, "
                                  f"expected {GUEST_NET_PORT}")
                continue
            rows, errors = netclient.measure(host_port, *net_sizes)
            for key, value in rows.items():
                run.rows[key] = value
                run.iters[key] = 1
            run.errors.extend(errors)
        elif kind == "error":
            run.errors.append("guest: " + msg[1])
        elif kind == "end":
            run.ended = True


def _stop(proc, run):
    """Give QEMU a moment to exit by itself (the guest powers off after
    [bench] end), then end it. Returns its exit status."""
    try:
        return proc.wait(timeout=15 if run.ended else 1)
    except subprocess.TimeoutExpired:
        pass
    proc.terminate()
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
