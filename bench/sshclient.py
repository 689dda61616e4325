"""The SSH rows' client (bench/ssh.py), the same for both guests: the
host's OpenSSH ssh with the development key (build/sshkeys), NOT FOR
PRODUCTION, and the algorithms both servers are held to:
curve25519-sha256, ssh-ed25519, chacha20-poly1305@openssh.com.

- login_once: `ssh -T` with "whoami" and "exit" as its input: connect,
  key exchange, publickey authentication, the session channel, the
  shell, one command whose answer must name the user, the exit and the
  close; timed from starting ssh to its exit.
- stream_once: `ssh -tt` on a pseudo-terminal; at the shell's prompt it
  runs count (capOS: `run count`; Linux: /bin/count, the same lines in
  the same 1 KiB writes), times the first n bytes of count's output from
  the moment its first line arrives, checks them against the lines count
  prints, then Ctrl-C and `exit`.

The host key is not checked (both guests are reached only through
QEMU's forward on 127.0.0.1; Dropbear makes its key at the first login).
"""
import hashlib
import os
import pty
import re
import select
import subprocess
import time

# What each shell is sent. busybox sh's `exit` would pass on the status
# of count's end by Ctrl-C (130); the session's end is asked to be 0.
CAPOS = {"name": "capos", "prompt": b"admin@capos> ", "count": b"run count\r",
         "exit": b"exit\r"}
LINUX = {"name": "linux", "prompt": b"admin@linux> ", "count": b"count\r",
         "exit": b"exit 0\r"}
USER = "admin"
TIMEOUT_S = 120
FIRST = b"count: 1\r\n"


class SshError(Exception):
    pass


def ssh_command(port, key, extra=()):
    return ["ssh", "-F", "/dev/null", "-p", str(port), "-i", key,
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "KexAlgorithms=curve25519-sha256",
            "-o", "HostKeyAlgorithms=ssh-ed25519",
            "-o", "Ciphers=chacha20-poly1305@openssh.com",
            "-o", "ConnectTimeout=30", *extra, f"{USER}@127.0.0.1"]


def login_once(port, key):
    """One whole login; its milliseconds, or SshError."""
    start = time.monotonic()
    try:
        p = subprocess.run(ssh_command(port, key, ("-T",)),
                           input=b"whoami\nexit\n", capture_output=True,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise SshError(f"ssh did not end within {TIMEOUT_S} s")
    ms = (time.monotonic() - start) * 1e3
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        raise SshError(f"ssh exited {p.returncode}: "
                       f"{p.stderr.decode('utf-8', 'replace')[-200:]!r}")
    if USER not in re.split(r"[\s>]+", out):
        raise SshError(f"whoami did not answer {USER}: {out[-200:]!r}")
    return ms


def at_prompt(b, side):
    """Whether the shell's prompt ends what arrived. busybox sh asks for
    the cursor's position after its prompt (ESC [ 6 n), which goes
    unanswered: it does not count as output."""
    return b.replace(b"\x1b[6n", b"").endswith(side["prompt"])


def count_stream(n):
    """The first n bytes count prints on a pseudo-terminal."""
    out, i = bytearray(), 1
    while len(out) < n:
        out += b"count: %d\r\n" % i
        i += 1
    return bytes(out[:n])


class Pty:
    def __init__(self, cmd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(cmd[0], cmd)
        self.buf = bytearray()

    def read_until(self, done, what):
        deadline = time.monotonic() + TIMEOUT_S
        while not done(self.buf):
            left = deadline - time.monotonic()
            if left <= 0:
                raise SshError(f"no {what} within {TIMEOUT_S} s; saw "
                               f"{bytes(self.buf[-200:])!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise SshError(f"the session ended before {what}; saw "
                                   f"{bytes(self.buf[-200:])!r}")
                self.buf += chunk

    def close(self):
        if self.pid:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def stream_once(port, key, side, n, want):
    """count's first n bytes through the channel; MiB/s, or SshError.
    want is count_stream(n)."""
    t = Pty(ssh_command(port, key, ("-tt",)))
    try:
        t.read_until(lambda b: at_prompt(b, side), "prompt")
        t.buf.clear()
        os.write(t.fd, side["count"])
        t.read_until(lambda b: FIRST in b, "count's first line")
        start = time.monotonic()
        at = t.buf.find(FIRST)
        early = len(t.buf) - at
        t.read_until(lambda b: len(b) - at >= n, f"{n} bytes of count")
        secs = time.monotonic() - start
        if hashlib.sha256(t.buf[at:at + n]).digest() != \
                hashlib.sha256(want).digest():
            raise SshError("count's output arrived changed")
        os.write(t.fd, b"\x03")
        t.buf.clear()
        t.read_until(lambda b: at_prompt(b, side), "the prompt after Ctrl-C")
        os.write(t.fd, side["exit"])
        _, status = os.waitpid(t.pid, 0)
        t.pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise SshError(f"ssh ended with status {status:#x}")
    finally:
        t.close()
    # Timed from the read that brought the first line: its bytes are not
    # counted.
    return (n - early) / (1 << 20) / secs
