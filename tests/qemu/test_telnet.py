"""Telnet into capOS (system/telnet-host.capnp, docs/telnet.md): QEMU
forwards a free port on the host's 127.0.0.1 to guest port 23, where
telnet-gateway serves a login and capos-shell per connection.

- The real /usr/bin/telnet, driven through a pty as a person would: a
  wrong password, a login, `session`, `caps`, one `call`, `exit`, and a
  clean disconnect; the transcript holds no password, and the console
  proves the shell ended and the session was revoked.
- 8 sessions logged in at once, each running commands, all ended.
- Hostile clients from raw sockets: IAC floods, an unterminated
  subnegotiation, option storms, a 1 MiB line, binary garbage, 50
  connections left silent, clients vanishing mid-login and from a
  shell (a reset), a client back at once from the port its last
  connection used (which the guest holds in TIME_WAIT). After each a
  fresh login works; at the end the netstack holds no socket and the
  kernel's shutdown leak check holds.

Every wait is on output, bounded generously for a loaded TCG host.
"""
import os
import pty
import queue
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

import harness
from harness import BUILD, CaseFailed, case, expect, kernel_image

BOOT_TIMEOUT_S = 60
IO_TIMEOUT_S = 60       # one answer from the shell or the login
LOGIN_S = 15            # telnet-host.capnp's login=
IDLE_S = 30             # telnet-host.capnp's idle=
SESSIONS = 8
SILENT = 50
PREAUTH_MAX = 8         # services/telnet-gateway: PREAUTH_MAX
ADMIN_PW = "capos-dev"  # development account, NOT FOR PRODUCTION
GUEST_PW = "guest-dev"

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NOP, AYT, IP = 241, 246, 244


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    """One boot of the Telnet system, its console read by a thread."""

    def __init__(self):
        self.port = free_port()
        self.stats_port = free_port()
        fwd = (f"user,id=n0,hostfwd=tcp:127.0.0.1:{self.port}-:23,"
               f"hostfwd=tcp:127.0.0.1:{self.stats_port}-:15")
        cmd = harness.qemu_command(
            kernel=kernel_image(),
            initrd=os.path.join(BUILD, "telnet-host.pkg"),
            append="stop=console",
            extra=["-netdev", fwd, "-device", "virtio-net-pci,netdev=n0"])
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
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

    def count(self, text):
        return sum(text in line for line in self.lines)

    def wait_count(self, text, n, timeout):
        """Waits until n console lines contain text."""
        deadline = time.monotonic() + timeout
        while self.count(text) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed(f"{self.count(text)} console lines contain "
                                 f"{text!r} after {timeout} s, expected {n}")
            try:
                if self.new.get(timeout=min(left, 1)) is None:
                    raise CaseFailed(f"QEMU exited before {n} lines "
                                     f"containing {text!r}")
            except queue.Empty:
                pass

    def wait_line(self, text, timeout):
        self.wait_count(text, 1, timeout)

    def stop(self):
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


class Raw:
    """A client on a raw socket that answers no negotiation: what it reads
    is kept whole (IAC bytes and all), and a thread keeps reading so the
    gateway never waits on it unless the test wants it to."""

    def __init__(self, port, read=True, src=0):
        """src: the local port to connect from (0: any)."""
        self.s = socket.socket()
        # A later client may connect from this one's port (src) while
        # the host still holds this socket closing.
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.settimeout(IO_TIMEOUT_S)
        deadline = time.monotonic() + IO_TIMEOUT_S
        while True:
            try:
                self.s.bind(("127.0.0.1", src))
                self.s.connect(("127.0.0.1", port))
                break
            except OSError as e:
                # The port's last connection may not have finished its
                # close on the host yet (EADDRINUSE, EADDRNOTAVAIL).
                if src == 0 or time.monotonic() > deadline:
                    raise CaseFailed(f"cannot connect from port {src}: "
                                     f"{e}")
                self.s.close()
                self.s = socket.socket()
                self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,
                                  1)
                self.s.settimeout(IO_TIMEOUT_S)
                time.sleep(0.1)
        self.port = self.s.getsockname()[1]
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False
        self.cond = threading.Condition()
        self.reader = None
        if read:
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    def _read(self):
        while True:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                # The socket's timeout bounds sends; a quiet gateway is
                # not a closed connection (the waits have their bounds).
                continue
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.buf += chunk
                self.cond.notify_all()

    def wait_for(self, text, timeout=IO_TIMEOUT_S, after=0):
        """Waits until the bytes from `after` on hold text; returns the
        offset just past it."""
        want = text.encode() if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                i = self.buf.find(want, after)
                if i >= 0:
                    return i + len(want)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    tail = bytes(self.buf[-300:])
                    raise CaseFailed(f"the gateway never sent {want!r} "
                                     f"to the client from 127.0.0.1:"
                                     f"{self.port} ({'closed' if self.closed else 'timed out'}"
                                     f"); last bytes: {tail!r}")
                self.cond.wait(timeout=min(left, 1))

    def wait_closed(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CaseFailed("the gateway did not close the "
                                     f"connection within {timeout} s")
                self.cond.wait(timeout=min(left, 1))

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def command(self, line, prompt):
        """Types a line and returns what came back up to the next
        prompt."""
        start = len(self.buf)
        self.send(line + "\r\n")
        end = self.wait_for(prompt, after=start)
        return bytes(self.buf[start:end]).decode("utf-8", "replace")

    def close(self):
        """Closes with a FIN, at once: the shutdown also ends the reader
        thread's wait, which would otherwise hold the socket open (see
        reset)."""
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.reader is not None:
            self.reader.join(IO_TIMEOUT_S)
        self.s.close()

    def reset(self):
        """Goes away at once: a reset, no goodbye. The reader thread's
        wait holds the socket open (a close then only drops the
        descriptor, and the reset goes out whenever that wait ends), so
        the read side is shut first, which ends the wait without a
        word on the wire, and the socket closed once the thread is
        done with it."""
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        if self.reader is not None:
            try:
                self.s.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            self.reader.join(IO_TIMEOUT_S)
            if self.reader.is_alive():
                raise CaseFailed("the client's reader did not stop")
        self.s.close()


def login(g, user="admin", pw=ADMIN_PW):
    c = Raw(g.port)
    c.wait_for("username> ")
    c.send(user + "\r\n")
    c.wait_for("password> ")
    c.send(pw + "\r\n")
    c.wait_for(f"{user}@capos> ")
    return c


def fresh_login_works(g, what):
    """After a hostile client: a new login, one command, a clean exit."""
    done = g.count("[proof] telnet-session ok")
    try:
        c = login(g, "guest", GUEST_PW)
    except CaseFailed as e:
        raise CaseFailed(f"after {what}, a fresh login failed: {e}")
    out = c.command("whoami", "guest@capos> ")
    expect(None, "guest" in out, f"after {what}: whoami said {out!r}")
    c.send("exit\r\n")
    c.wait_closed(IO_TIMEOUT_S)
    c.close()
    g.wait_count("[proof] telnet-session ok", done + 1, IO_TIMEOUT_S)


def counters(g, timeout=IO_TIMEOUT_S):
    with socket.create_connection(("127.0.0.1", g.stats_port),
                                  timeout=timeout) as s:
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return {k: int(v) for k, v in re.findall(rb"(\w+)=(\d+)", data)}


def diagnostics(g):
    """What the guest's network and gateway were doing, for a failure:
    the netstack's counters (connections by state, waiting for accept,
    resets, retransmissions) and the gateway's last lines."""
    try:
        stats = " ".join(f"{k.decode()}={v}" for k, v in
                         counters(g, timeout=10).items())
    except (OSError, CaseFailed) as e:
        stats = f"not answered ({e})"
    tail = [line for line in g.lines if "[telnet]" in line or
            "[netstack]" in line][-20:]
    return ("netstack counters: " + stats + "\ngateway and netstack, last "
            "lines:\n  " + "\n  ".join(tail))


def wait_sockets_free(g, timeout=IO_TIMEOUT_S):
    """The netstack holds no socket: every connection was given back."""
    deadline = time.monotonic() + timeout
    while True:
        c = counters(g)
        if c.get(b"sockets") == 0 and c.get(b"waitingAccept") == 0:
            return
        if time.monotonic() > deadline:
            raise CaseFailed(f"sockets still held: {c}")
        time.sleep(0.5)


class Pty:
    """/usr/bin/telnet on a pty: what a person types, what they see."""

    def __init__(self, port):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(["telnet", "127.0.0.1", str(port)],
                                     stdin=slave, stdout=slave,
                                     stderr=slave, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.out = bytearray()
        self.mark = 0       # what read_until has looked past

    def read_until(self, text, timeout=IO_TIMEOUT_S):
        """Reads until text shows after what earlier calls matched;
        returns what came up to and including it."""
        want = text.encode()
        deadline = time.monotonic() + timeout
        while self.out.find(want, self.mark) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed(f"telnet never showed {text!r}; "
                                 f"transcript:\n{self.transcript()}")
            r, _, _ = select.select([self.master], [], [], min(left, 1))
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise CaseFailed(f"telnet ended before {text!r}; "
                                     f"transcript:\n{self.transcript()}")
                self.out += chunk
        start, self.mark = self.mark, self.out.find(want, self.mark) + \
            len(want)
        return self.out[start:self.mark].decode("utf-8", "replace")

    def type(self, keys):
        os.write(self.master, keys.encode())

    def transcript(self):
        return self.out.decode("utf-8", "replace").replace("\r\n", "\n")

    def finish(self, timeout=IO_TIMEOUT_S):
        try:
            self.read_until("Connection closed by foreign host.", timeout)
            status = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)
        return status


def check_real_client(g):
    t = Pty(g.port)
    t.read_until("username> ")
    t.type("admin\r")
    t.read_until("password> ")
    t.type("not-the-password\r")
    t.read_until("Login incorrect.")
    t.read_until("username> ")
    t.type("admin\r")
    t.read_until("password> ")
    t.type(ADMIN_PW + "\r")
    t.read_until("admin@capos> ")
    t.type("session\r")
    session = t.read_until("admin@capos> ")
    t.type("caps\r")
    caps = t.read_until("admin@capos> ")
    t.type("call audit.read(max=32)\r")
    audit = t.read_until("admin@capos> ")
    t.type("exit\r")
    t.read_until("Logged out admin.")
    status = t.finish()
    text = t.transcript()
    print(f"     telnet transcript: {len(text)} characters, "
          f"exit status {status}", flush=True)
    expect(None, status == 0, f"telnet exited with status {status}:\n{text}")
    expect(None, "capOS telnet gateway: plaintext" in text, "no banner")
    expect(None, 'account = "admin"' in session and
           'source = "telnet 10.0.2.2"' in session and
           "strength = password" in session,
           f"`session` did not show admin's telnet session:\n{session}")
    names = re.findall(r"^(\w+)\s+\w+\s+\(", caps, re.MULTILINE)
    expect(None, sorted(names) == ["audit", "launcher", "session",
                                   "terminal"],
           f"`caps` listed {names}:\n{caps}")
    for word in ("Network", "Listen", "Spawner", "Socket", "Nic"):
        expect(None, word not in caps, f"the shell holds a {word}:\n{caps}")
    # The audit log saw both attempts, from the peer's address.
    expect(None, re.search(r"event = loginFailed, reason = badPassword, "
                           r'account = "admin", source = "telnet 10\.0\.2\.2"',
                           audit) is not None and
           re.search(r'event = loginSucceeded, reason = ok, account = '
                     r'"admin", source = "telnet 10\.0\.2\.2"', audit)
           is not None,
           f"the audit log lacks the telnet logins:\n{audit}")
    expect(None, ADMIN_PW not in text and "not-the-password" not in text,
           "a password appears in the telnet transcript")
    g.wait_line("[proof] telnet-session ok: admin logged in from 10.0.2.2",
                IO_TIMEOUT_S)


def check_sessions_at_once(g):
    done = g.count("[proof] telnet-session ok")
    started = g.count("[shell-launcher] started a shell")
    clients = []
    for i in range(SESSIONS):
        user, pw = ("admin", ADMIN_PW) if i % 2 == 0 else \
            ("guest", GUEST_PW)
        clients.append((user, login(g, user, pw)))
    g.wait_count("[shell-launcher] started a shell", started + SESSIONS,
                 IO_TIMEOUT_S)
    # Every shell answers while all are logged in, each on its own
    # terminal: the windows are told apart by their serial numbers.
    serials = set()
    for user, c in clients:
        out = c.command("whoami", f"{user}@capos> ")
        expect(None, user in out, f"whoami said {out!r}")
        out = c.command("call session.info()", f"{user}@capos> ")
        m = re.search(r"serial = (\d+)", out)
        expect(None, m is not None and f'account = "{user}"' in out,
               f"session.info said {out!r}")
        serials.add(m.group(1))
    expect(None, len(serials) == SESSIONS,
           f"{len(serials)} distinct sessions among {SESSIONS}")
    for user, c in clients:
        c.send("exit\r\n")
    for user, c in clients:
        c.wait_closed(IO_TIMEOUT_S)
        c.close()
    g.wait_count("[proof] telnet-session ok", done + SESSIONS, IO_TIMEOUT_S)
    wait_sockets_free(g)
    print(f"     {SESSIONS} sessions at once: {len(serials)} sessions, "
          "all ended and revoked", flush=True)


def check_iac_flood(g):
    """IAC NOPs and AYTs in bulk, then a login on the same connection."""
    c = Raw(g.port)
    c.wait_for("username> ")
    flood = bytes([IAC, NOP]) * 100000 + bytes([IAC, AYT]) * 2000
    c.send(flood)
    c.wait_for("[capOS: yes]")
    c.send("guest\r\n")
    c.wait_for("password> ")
    c.send(GUEST_PW + "\r\n")
    c.wait_for("guest@capos> ")
    c.send("exit\r\n")
    c.wait_closed(IO_TIMEOUT_S)
    c.close()


def check_option_storm(g):
    c = Raw(g.port)
    storm = bytearray()
    for _ in range(20):
        for verb in (WILL, DO, WONT, DONT):
            for opt in range(256):
                storm += bytes([IAC, verb, opt])
    c.send(bytes(storm))
    c.send("\r\n")
    c.wait_for("username> ", after=30)
    c.close()


def check_big_line(g):
    c = Raw(g.port)
    c.wait_for("username> ")
    c.send(b"a" * (1 << 20) + b"\r\n")
    c.wait_for("password> ")
    c.send("x\r\n")
    c.wait_for("Login incorrect.")
    c.close()


def check_garbage(g):
    c = Raw(g.port)
    c.wait_for("username> ")
    junk = random.Random(23).randbytes(256 << 10)
    try:
        c.send(junk)
    except OSError:
        pass        # the gateway may have closed it: that is allowed
    c.reset()


def check_silent_and_unterminated(g):
    """An unterminated subnegotiation and 50 silent connections at once:
    those the gateway takes lose their slots at the login time limit,
    the rest are told there is no room."""
    sb = Raw(g.port)
    sb.wait_for("username> ")
    sb.send(bytes([IAC, SB, 31]) + b"\x00" * 100000)
    silent = []
    for _ in range(SILENT):
        silent.append(Raw(g.port))
        time.sleep(0.01)
    prompted = refused = 0
    deadline = LOGIN_S + IO_TIMEOUT_S
    for c in silent + [sb]:
        c.wait_closed(deadline)
        text = bytes(c.buf)
        if b"Login timed out" in text:
            prompted += 1
        elif b"too many connections" in text:
            refused += 1
        c.close()
    expect(None, prompted + refused == SILENT + 1,
           f"{prompted} timed out, {refused} refused, of {SILENT + 1}")
    expect(None, 1 <= prompted <= PREAUTH_MAX,
           f"{prompted} silent connections held a login slot")
    print(f"     {SILENT} silent connections and an unterminated "
          f"subnegotiation: {prompted} timed out at login, {refused} "
          "refused", flush=True)


def check_vanish_mid_login(g):
    c = Raw(g.port)
    c.wait_for("username> ")
    c.send("admin\r\n")
    c.wait_for("password> ")
    c.send("capos-")
    c.reset()
    # A client that vanishes while its shell runs takes the shell along,
    # once the reset reaches the guest (bounded by the keep-alive and
    # idle timeout were it lost on the way).
    done = g.count("[proof] telnet-session ok")
    c = login(g)
    c.reset()
    g.wait_count("[proof] telnet-session ok", done + 1,
                 IDLE_S + IO_TIMEOUT_S)


def check_same_port_again(g):
    """A client that connects again from the port its last connection
    used, which the guest still holds in TIME_WAIT (the gateway closed
    first): the host's port allocator does return to a port within
    seconds. The new connection is answered at once, not once the old
    one's two minutes are over."""
    done = g.count("[proof] telnet-session ok")
    c = login(g, "guest", GUEST_PW)
    c.send("exit\r\n")
    c.wait_closed(IO_TIMEOUT_S)
    c.close()
    g.wait_count("[proof] telnet-session ok", done + 1, IO_TIMEOUT_S)
    again = Raw(g.port, src=c.port)
    again.wait_for("username> ")
    again.close()


@case
def telnet_logins_sessions_and_hostile_clients():
    for attempt in range(3):
        g = Guest()
        try:
            g.wait_line("[proof] boot ok", BOOT_TIMEOUT_S)
            break
        except CaseFailed:
            if g.proc.poll() is None or attempt == 2:
                g.stop()
                raise
            g.stop()
            harness.RUNS.pop()
    try:
        g.wait_line("[telnet] listening on port 23", BOOT_TIMEOUT_S)
        g.wait_line("[netstack] dhcp address 10.0.2.15",
                    BOOT_TIMEOUT_S)
        g.wait_line("[auth] 2 accounts", BOOT_TIMEOUT_S)
        try:
            check_real_client(g)
            check_sessions_at_once(g)
            for what, check in (
                    ("an IAC flood", check_iac_flood),
                    ("an option storm", check_option_storm),
                    ("a 1 MiB line", check_big_line),
                    ("binary garbage", check_garbage),
                    ("silent connections", check_silent_and_unterminated),
                    ("a client vanishing", check_vanish_mid_login),
                    ("a client back from the same port",
                     check_same_port_again)):
                check(g)
                fresh_login_works(g, what)
        except CaseFailed as e:
            raise CaseFailed(f"{e}\n{diagnostics(g)}") from None
        wait_sockets_free(g)
        for bad in ("panic", "faulted", "output overflow",
                    "[init] telnet-gateway exited", "NOT revoked",
                    "[telnet] stopped", "[telnet] the listener failed"):
            expect(None, not any(bad in line for line in g.lines),
                   f"unexpected console line containing {bad!r}")
        g.proc.stdin.write(b"q")
        g.proc.stdin.flush()
        g.wait_line("[proof] no-leak ok", BOOT_TIMEOUT_S)
        status = g.proc.wait(timeout=BOOT_TIMEOUT_S)
        expect(None, status == harness.EXIT_CLEAN,
               f"QEMU exit status {status} after the stop, expected "
               f"{harness.EXIT_CLEAN}")
    finally:
        g.stop()
