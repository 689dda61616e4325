"""The host side of the telnet login row (docs/benchmarks.md, "The telnet
login row"): one Telnet client, timing the same steps against capOS's
telnet-gateway and the Linux guest's busybox telnetd.

One login is: connect, wait for the login prompt, send the name, wait for
the password prompt, send the password, wait for the shell's prompt, run
`whoami`, wait for the prompt again (the answer must hold the user name),
send `exit`, and wait for the server to close the connection. The clock
runs from before connect() to the close.

The client speaks just enough Telnet (RFC 854, RFC 855) to stay in the
NVT: it refuses every option the server offers or asks for (DO -> WONT,
WILL -> DONT), answers nothing it did not get, and removes commands and
subnegotiations from what it matches prompts against. Lines end in CR LF.
"""
import socket
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240

# A server that stops answering for this long fails the row instead of
# hanging the run.
IO_TIMEOUT_S = 60

# The most text kept from one connection: a login transcript is a few
# hundred bytes, so a server that sends more is broken, not slow.
TEXT_MAX = 64 * 1024


class TelnetError(Exception):
    pass


class Side:
    """What differs between the two servers: their prompts."""

    def __init__(self, name, login_prompt, password_prompt, shell_prompt):
        self.name = name
        self.login_prompt = login_prompt
        self.password_prompt = password_prompt
        self.shell_prompt = shell_prompt


# docs/telnet.md: the gateway's prompts and capos-shell's.
CAPOS = Side("capos", b"username> ", b"password> ", b"{user}@capos> ")
# busybox login ("<host> login: ", "Password: ") and the PS1 that
# bench/linux/mkinitramfs.py writes into /etc/profile.
LINUX = Side("linux", b"login: ", b"Password: ", b"{user}@linux> ")


class Nvt:
    """Splits a server's byte stream into text and option requests.
    Feeds may cut a command anywhere; the state carries over."""

    def __init__(self):
        self.state = "data"
        self.text = bytearray()
        self.replies = bytearray()
        self.sb_len = 0

    def feed(self, data):
        for b in data:
            st = self.state
            if st == "data":
                if b == IAC:
                    self.state = "iac"
                elif b != 0:
                    self._keep(b)
            elif st == "iac":
                if b == IAC:
                    self._keep(IAC)
                    self.state = "data"
                elif b in (DO, DONT, WILL, WONT):
                    self.state = b
                elif b == SB:
                    self.state = "sb"
                    self.sb_len = 0
                else:
                    # A two-byte command (NOP, GA, AYT, ...): nothing to do.
                    self.state = "data"
            elif st in (DO, DONT, WILL, WONT):
                # Refuse what is offered or asked; a refusal needs no
                # answer (RFC 854: never acknowledge a mode already in).
                if st == DO:
                    self.replies += bytes((IAC, WONT, b))
                elif st == WILL:
                    self.replies += bytes((IAC, DONT, b))
                self.state = "data"
            elif st == "sb":
                # Options were refused, so a subnegotiation is skipped
                # whole; its length is bounded like the text.
                self.sb_len += 1
                if self.sb_len > TEXT_MAX:
                    raise TelnetError("subnegotiation longer than "
                                      f"{TEXT_MAX} bytes")
                if b == IAC:
                    self.state = "sb_iac"
            elif st == "sb_iac":
                self.state = "data" if b == SE else "sb"

    def _keep(self, b):
        if len(self.text) >= TEXT_MAX:
            raise TelnetError(f"server sent more than {TEXT_MAX} bytes")
        self.text.append(b)

    def take_replies(self):
        out = bytes(self.replies)
        self.replies.clear()
        return out


class Connection:
    def __init__(self, port, timeout):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.nvt = Nvt()
        self.closed = False

    def _recv(self):
        chunk = self.s.recv(4096)
        if not chunk:
            self.closed = True
            return
        self.nvt.feed(chunk)
        replies = self.nvt.take_replies()
        if replies:
            self.s.sendall(replies)

    def wait_for(self, want, after):
        """Reads until the text from offset `after` holds want; returns
        the offset just past it."""
        while True:
            i = self.nvt.text.find(want, after)
            if i >= 0:
                return i + len(want)
            if self.closed:
                tail = bytes(self.nvt.text[-200:])
                raise TelnetError(f"closed before {want!r} arrived; last "
                                  f"text: {tail!r}")
            try:
                self._recv()
            except socket.timeout:
                tail = bytes(self.nvt.text[-200:])
                raise TelnetError(f"no {want!r} within the timeout; last "
                                  f"text: {tail!r}")

    def wait_closed(self):
        while not self.closed:
            try:
                self._recv()
            except socket.timeout:
                raise TelnetError("the server did not close the connection "
                                  "after exit")

    def send_line(self, line):
        self.s.sendall(line.encode() + b"\r\n")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def login_once(port, side, user, password, timeout=IO_TIMEOUT_S):
    """One timed login (see the module's docstring). Returns milliseconds;
    raises TelnetError or OSError."""
    prompt = side.shell_prompt.replace(b"{user}", user.encode())
    t0 = time.perf_counter()
    c = Connection(port, timeout)
    try:
        at = c.wait_for(side.login_prompt, 0)
        c.send_line(user)
        at = c.wait_for(side.password_prompt, at)
        c.send_line(password)
        at = c.wait_for(prompt, at)
        c.send_line("whoami")
        start = at
        at = c.wait_for(prompt, at)
        # The answer lies between the command's echo and the prompt; the
        # echo alone ("whoami") does not hold the name.
        answer = bytes(c.nvt.text[start:at - len(prompt)])
        c.send_line("exit")
        c.wait_closed()
        ms = (time.perf_counter() - t0) * 1000.0
    finally:
        c.close()
    if user.encode() not in answer.replace(b"whoami", b""):
        raise TelnetError(f"whoami answered {answer!r}, not {user!r}")
    return ms


def wait_ready(port, side, user, password, deadline):
    """Untimed logins until one succeeds or the deadline passes: the guest
    is still booting while QEMU's forward already accepts. Returns None, or
    the last error as text."""
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            login_once(port, side, user, password,
                       timeout=min(IO_TIMEOUT_S,
                                   max(1.0, deadline - time.monotonic())))
            return None
        except (OSError, TelnetError) as e:
            last = str(e)
            time.sleep(0.5)
    return last


def measure(port, side, user, password, count):
    """count timed logins after the server has answered one. Returns
    ([ms per login], [errors])."""
    values, errors = [], []
    for _ in range(count):
        try:
            values.append(login_once(port, side, user, password))
        except (OSError, TelnetError) as e:
            errors.append(f"telnet login: {e}")
    return values, errors
