#!/usr/bin/env python3
"""The run suite: the run targets as a user meets them, judged by their
exit status and what they print (docs/boot.md, "Running").

- make run-net and make run (the SSH and the web gateway's forwards)
  with their host port already taken fail, naming the cause;
- make run and make run-net left with Ctrl-a x (the bytes 0x01 'x' on
  stdin) exit 0 without a make error;
- with a QEMU that aborts under KVM (tests/run/fake-qemu.sh), ACCEL=kvm
  boots nothing and says why in one line, and the default ACCEL=auto says
  so and boots under TCG to a clean halt;
- tools/run-qemu.sh maps every QEMU exit status as docs/boot.md says;
- make help's list and the README's table of targets agree, and make deps
  installed the clients the docs suggest.

Every case prints "ok NAME" or "FAIL NAME: why"; the last line is
"N passed, N failed". Real QEMU runs use TCG (ACCEL=tcg) unless a case is
about the accelerator.
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAKE_QEMU = os.path.join(HERE, "fake-qemu.sh")
# Bounds that only stop a hung case; a run target that works takes seconds.
BOOT_SECONDS = 120

# Run from make test, the inner make calls itself make[1].
MAKE_ERROR = re.compile(r"^make(\[\d+\])?: \*\*\*", re.M)

passed = failed = 0


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def make(target, *assignments):
    return ["make", "--no-print-directory", "-C", ROOT, target] + \
        list(assignments)


class Run:
    """A command whose combined output is collected as it comes, with a
    way to wait for a line and to write to its stdin."""

    def __init__(self, argv, env=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.out = b""
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            with self.lock:
                if not chunk:
                    self.lock.notify_all()
                    return
                self.out += chunk
                self.lock.notify_all()

    def wait_for(self, text, seconds):
        deadline = time.monotonic() + seconds
        with self.lock:
            while text.encode() not in self.out:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and \
                        not self.reader.is_alive():
                    return False
                self.lock.wait(min(left, 0.5))
            return True

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def finish(self, seconds):
        """Returns (status, output), killing the run after seconds."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            status = self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = f"killed after {seconds} s"
        self.reader.join(5)
        return status, self.out.decode(errors="replace")


def tail(text, lines=12):
    return "\n    ".join([""] + text.rstrip().splitlines()[-lines:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def taken_port(target, variable, *extra):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = Run(make(target, f"{variable}={port}", "ACCEL=tcg", *extra))
        status, out = r.finish(BOOT_SECONDS)
    report(f"make {target} with its port {variable} taken fails with "
           "QEMU's reason",
           isinstance(status, int) and status != 0 and
           "Could not set up host forwarding rule" in out and
           "run: QEMU could not start (status 1)" in out and
           len(run_lines(out)) == 1,
           f"status {status}:{tail(out)}")


def run_lines(out):
    return [ln for ln in out.splitlines() if ln.startswith("run:")]


def ctrl_a_x(target, wait_line, extra):
    """Leaves the target's QEMU with Ctrl-a x once wait_line was printed,
    or at once when wait_line is None: the default system halts by itself
    a few milliseconds after its last line, while the keys, sent before
    QEMU starts, are read by its first main-loop turn."""
    r = Run(make(target, "ACCEL=tcg", *extra))
    seen = wait_line is None or r.wait_for(wait_line, BOOT_SECONDS)
    if seen:
        r.send(b"\x01x")
    status, out = r.finish(BOOT_SECONDS)
    report(f"make {target} left with Ctrl-a x exits 0 without a make error",
           seen and status == 0 and "QEMU: Terminated" in out and
           not MAKE_ERROR.search(out) and not run_lines(out),
           f"saw {wait_line!r}: {seen}, status {status}:{tail(out)}")


def unusable_kvm():
    env = dict(os.environ, FAKE_QEMU_KVM="abort")
    qemu = f"QEMU={FAKE_QEMU}"
    p = subprocess.run(make("run", "ACCEL=kvm", qemu), env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=BOOT_SECONDS)
    out = (p.stdout + p.stderr).decode(errors="replace")
    lines = run_lines(out)
    report("ACCEL=kvm on a KVM that aborts QEMU boots nothing and says why "
           "in one line",
           p.returncode != 0 and len(lines) == 1 and
           "KVM cannot run capOS here: error: failed to set MSR 0x10a" in
           lines[0] and "ACCEL=kvm was asked for" in lines[0] and
           "capOS 0.1.0" not in out and "Assertion" not in out,
           f"status {p.returncode}:{tail(out)}")

    # The chat demo halts by itself (make run waits at the login prompt).
    p = subprocess.run(make("run-chat", "ACCEL=auto", qemu), env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=BOOT_SECONDS)
    out = (p.stdout + p.stderr).decode(errors="replace")
    lines = run_lines(out)
    report("ACCEL=auto on a KVM that aborts QEMU says so once, then boots "
           "under TCG to a clean halt (exit 0)",
           p.returncode == 0 and len(lines) == 1 and
           lines[0].endswith("; using TCG") and
           "[chat] alice joined" in out and
           "init exited with status 0" in out,
           f"status {p.returncode}:{tail(out)}")


# QEMU status -> (the wrapper's status, the line it must print or None).
STATUSES = [
    (33, False, 0, None),
    (0, False, 0, None),
    (0, True, 1, "run: the guest triple-faulted and QEMU stopped"),
    (35, False, 1, "run: the kernel panicked (QEMU status 35)"),
    (37, False, 1, "run: init failed or died (QEMU status 37)"),
    (1, False, 1, "run: QEMU could not start (status 1)"),
    (134, False, 134, "run: QEMU died of signal 6 (status 134)"),
    (3, False, 1, "run: QEMU exit status 3"),
]


def statuses():
    for qemu_status, triple, want, line in STATUSES:
        env = dict(os.environ, QEMU=FAKE_QEMU,
                   FAKE_QEMU_STATUS=str(qemu_status),
                   FAKE_QEMU_TRIPLE="1" if triple else "0")
        p = subprocess.run(["sh", os.path.join(ROOT, "tools", "run-qemu.sh"),
                            "--accel", "tcg", "--machine", "-nodefaults",
                            "--", "-kernel", "none"], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
        err = p.stderr.decode(errors="replace").strip()
        what = f"QEMU status {qemu_status}" + \
            (" after a triple fault" if triple else "")
        report(f"run-qemu.sh: {what} -> exit {want}"
               + (f", \"{line}\"" if line else ", silent"),
               p.returncode == want and err == (line or ""),
               f"exit {p.returncode}, stderr {err!r}")


def help_and_deps():
    files = [os.path.join(ROOT, "Makefile")] + \
        sorted(glob.glob(os.path.join(ROOT, "mk", "*.mk")))
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools",
                                                     "make-help.py"),
                        "--check", os.path.join(ROOT, "README.md")] + files,
                       capture_output=True)
    report("the README's table of targets is make help's list",
           p.returncode == 0, p.stdout.decode(errors="replace"))
    h = subprocess.run(make("help"), capture_output=True)
    out = h.stdout.decode(errors="replace")
    want = ["run", "run-net", "run-iso", "ssh", "clean", "bench", "bench-smoke",
            "fuzz", "test-capnp", "test-lwip", "help"]
    missing = [t for t in want if f"make {t} " not in out]
    report("make help lists every target, starting with the list",
           h.returncode == 0 and not missing and out.startswith("make "),
           f"missing {missing}:{tail(out, 30)}")
    absent = [c for c in ("nc", "telnet") if shutil.which(c) is None]
    report("make deps installed the clients the docs suggest (nc, telnet)",
           not absent, f"not installed: {absent}")


def main():
    steps = [help_and_deps, statuses, unusable_kvm,
             lambda: taken_port("run-net", "NET_ECHO_PORT"),
             lambda: taken_port("run", "SSH_PORT",
                                f"WEB_PORT={free_port()}"),
             lambda: taken_port("run", "WEB_PORT",
                                f"SSH_PORT={free_port()}"),
             lambda: ctrl_a_x("run-net", "[echo] listening",
                              [f"NET_ECHO_PORT={free_port()}"]),
             lambda: ctrl_a_x("run", None, [f"SSH_PORT={free_port()}",
                                            f"WEB_PORT={free_port()}"])]
    for step in steps:
        try:
            step()
        except Exception as e:  # A broken step is a failure, not a skip.
            report(getattr(step, "__name__", "step"), False,
                   f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
