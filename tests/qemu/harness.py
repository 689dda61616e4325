"""Boot capOS images under QEMU and look at what they printed.

A case is a function decorated with @case; it boots an image with boot(),
then asserts on the serial log and QEMU's exit status with expect(). On
failure the runner prints the whole serial log, so a red case always shows
what the machine said.
"""
import os
import subprocess
import threading
import time

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
BUILD = os.environ.get("BUILD", "build")

# isa-debug-exit turns a write of v into exit status (v << 1) | 1; the kernel
# writes 0x10 for a clean halt and 0x11 for a panic (kernel/kernel.h).
EXIT_CLEAN = 33
EXIT_PANIC = 35

BASE_ARGS = [
    "-nodefaults", "-machine", "pc", "-cpu", "max", "-m", "256M",
    "-display", "none", "-serial", "stdio", "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
]

# CPUs every case boots with unless it asks for its own count (smp=N):
# every system must pass with its application processors up (docs/smp.md).
SMP = int(os.environ.get("CAPOS_SMP", "2"))
# TCG runs the CPUs in turn on one host thread (thread=single): they
# interleave (QEMU moves to the next CPU every time slice), while a CPU
# spinning for the big kernel lock does not take a host core from the one
# holding it (multi-threaded TCG on this 2-core machine made -smp 4 several
# times slower). CAPOS_TCG_THREAD=multi runs one host thread per CPU; the
# SMP stress cases (test_smp.py) always do, so that CPUs really run at
# the same time there.
TCG_THREAD = os.environ.get("CAPOS_TCG_THREAD", "single")
# The application processors run user threads as the boot CPU does
# (docs/smp.md); CAPOS_SMP_HALT=1 boots every case with smp=halt, which
# has them report in and halt.
SMP_HALT = os.environ.get("CAPOS_SMP_HALT") == "1"

CASES = []
# Every Run of the current case, so the runner can print all of its logs.
RUNS = []


class CaseFailed(Exception):
    pass


class Run:
    def __init__(self, status, log, seconds, timed_out):
        self.status = status
        self.log = log
        self.seconds = seconds
        self.timed_out = timed_out

    def lines(self):
        return self.log.splitlines()


def case(fn):
    CASES.append(fn)
    return fn


def qemu_command(kernel=None, iso=None, initrd=None, append=None, extra=(),
                 smp=None, tcg_thread=None):
    cmd = [QEMU] + BASE_ARGS + ["-smp", str(smp if smp is not None else SMP)]
    if os.environ.get("CAPOS_ACCEL") == "kvm":
        cmd += ["-accel", "kvm"]
    else:
        cmd += ["-accel", f"tcg,thread={tcg_thread or TCG_THREAD}"]
    if kernel:
        cmd += ["-kernel", kernel]
    if iso:
        cmd += ["-cdrom", iso, "-boot", "d"]
    if initrd:
        cmd += ["-initrd", initrd]
    if kernel and SMP_HALT:
        append = f"{append} smp=halt" if append else "smp=halt"
    if append:
        cmd += ["-append", append]
    return cmd + list(extra)


def boot(timeout=60, **kw):
    """Boots one image and returns its Run once QEMU exits or times out."""
    cmd = qemu_command(**kw)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    seconds = time.monotonic() - start
    log = out.decode("utf-8", "replace").replace("\r\n", "\n")
    run = Run(None if timed_out else proc.returncode, log, seconds,
              timed_out)
    RUNS.append(run)
    return run


class Console:
    """A booted image whose serial console a case types into while it
    runs, as a person at the terminal would: wait_for a line, then send
    keys. finish() waits for QEMU to exit and returns the Run."""

    def __init__(self, timeout=60, **kw):
        self.deadline = time.monotonic() + timeout
        self.start = time.monotonic()
        self.proc = subprocess.Popen(qemu_command(**kw),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = bytearray()
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            with self.cond:
                if not chunk:
                    self.cond.notify_all()
                    return
                self.out += chunk
                self.cond.notify_all()

    def text(self):
        with self.cond:
            return self.out.decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for(self, text):
        """Waits until the console has printed text (anywhere)."""
        want = text.encode()
        with self.cond:
            while want not in self.out:
                left = self.deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and \
                        not self.reader.is_alive():
                    raise CaseFailed(f"the console never printed {text!r}"
                                     f"\n---- console so far ----\n"
                                     f"{self.text()}")
                self.cond.wait(timeout=min(left, 0.5))

    def send(self, data):
        self.proc.stdin.write(data if isinstance(data, bytes)
                              else data.encode())
        self.proc.stdin.flush()

    def finish(self):
        timed_out = False
        try:
            self.proc.wait(timeout=max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            timed_out = True
        self.reader.join(timeout=5)
        run = Run(None if timed_out else self.proc.returncode, self.text(),
                  time.monotonic() - self.start, timed_out)
        RUNS.append(run)
        return run


def expect(run, cond, what):
    if not cond:
        raise CaseFailed(what)


def expect_line(run, text):
    """The serial log has a line containing text."""
    for line in run.lines():
        if text in line:
            return line
    raise CaseFailed(f"no line containing {text!r}")


def expect_no_line(run, text):
    for line in run.lines():
        if text in line:
            raise CaseFailed(f"unexpected line {line!r}")


def at_debug(run):
    """Whether the kernel ran at log level debug (docs/boot.md, "Log
    levels"): it says so in its first debug line."""
    return any(l.startswith("log: level debug") for l in run.lines())


def expect_status(run, status):
    """QEMU exited with status; a system whose init ended must also have
    passed the kernel's shutdown leak check (every process, thread,
    endpoint, record and pool gone, free memory back to its figure from
    before init started). The check runs at every log level and a leak
    turns the halt into a panic, so the status shows it; at debug the
    kernel also prints the check's proof line, which must be there."""
    if run.timed_out:
        raise CaseFailed(f"QEMU did not exit (timed out after "
                         f"{run.seconds:.1f}s); expected status {status}")
    if run.status != status:
        raise CaseFailed(f"QEMU exit status {run.status}, expected {status}")
    ended = any(l.startswith(("init exited", "init died"))
                for l in run.lines())
    if ended and at_debug(run):
        expect_line(run, "[proof] no-leak ok")


def kernel_image():
    return os.path.join(BUILD, "kernel.elf")


def iso_image():
    return os.path.join(BUILD, "capos.iso")


def debug_iso_image():
    """The ISO with loglevel=debug on GRUB's kernel command line, for the
    cases that check the kernel's debug lines through Multiboot2."""
    return os.path.join(BUILD, "capos-debug.iso")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_nic(port=None, web_port=None):
    """QEMU arguments for the default system's NIC, as make run gives it
    (mk/qemu.mk): a virtio-net device on QEMU's user network, forwarding
    port (a free one unless given) on 127.0.0.1 to the SSH gateway's guest
    port 22, and web_port, when given, to the web gateway's port 443.
    Returns (port, arguments)."""
    port = port or free_port()
    fwd = f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22"
    if web_port is not None:
        fwd += f",hostfwd=tcp:127.0.0.1:{web_port}-:443"
    return port, ["-netdev", fwd, "-device", "virtio-net-pci,netdev=n0"]
