"""The default system (system/default.capnp, docs/shell.md): capos-shell
on the serial console, driven as a person at the terminal would, through
login, the broker's bundles, typed calls, `run`, line editing, bad input,
the audit log, logout and shutdown."""
import base64
import os
import re
import subprocess
import time

from harness import (BUILD, EXIT_CLEAN, CaseFailed, Console, case,
                     default_nic, expect, expect_line, expect_status,
                     kernel_image)

ADMIN_PW = "capos-dev"
GUEST_PW = "guest-dev"
WRONG_PW = "Wr0ng-Guess"
AUTH_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, os.pardir, "schema", "auth.capnp")


class Shell:
    """The console with a cursor: each step waits for text printed after
    the previous step, so an earlier prompt never satisfies a later wait."""

    def __init__(self):
        self.con = Console(kernel=kernel_image(),
                           initrd=os.path.join(BUILD, "default.pkg"),
                           append="loglevel=debug",
                           extra=default_nic()[1], timeout=240)
        self.mark = 0

    def since(self):
        return self.con.text()[self.mark:]

    def wait(self, text):
        deadline = time.monotonic() + 60
        while text not in self.since():
            if time.monotonic() > deadline:
                raise CaseFailed(f"the console never printed {text!r}; "
                                 f"since the last step:\n{self.since()}")
            time.sleep(0.02)
        out = self.since()
        self.mark += out.index(text) + len(text)
        return out[:out.index(text) + len(text)]

    def type(self, keys, until):
        self.con.send(keys)
        return self.wait(until)

    def command(self, line, prompt):
        """Types a line and returns what it printed before the prompt."""
        return self.type(line + "\r", prompt)

    def login(self, user, pw, until):
        self.type("login\r", "username> ")
        self.type(user + "\r", "password> ")
        return self.type(pw + "\r", until)


def audit_raw_decoded(out):
    """`audit raw`'s messages, decoded by capnp decode on the host."""
    m = re.search(r"-----BEGIN CAPOS AUDIT-----\r?\n(.*?)"
                  r"-----END CAPOS AUDIT-----", out, re.S)
    if m is None:
        raise CaseFailed(f"audit raw printed no block: {out!r}")
    blob = base64.b64decode("".join(m.group(1).split()), validate=True)
    dec = subprocess.run(["capnp", "decode", "--short",
                          AUTH_SCHEMA,
                          "AuditExport"], input=blob, capture_output=True)
    if dec.returncode != 0:
        raise CaseFailed("capnp decode refused audit raw's messages: "
                         f"{dec.stderr.decode(errors='replace')}")
    return blob, dec.stdout.decode()


def check_audit_raw(sh):
    """The operator's way out for the audit log: the records as Cap'n
    Proto messages that capnp decode reads with the schema alone."""
    out = sh.command("audit raw", "admin@capos> ")
    blob, text = audit_raw_decoded(out)
    for want in ('event = loginFailed, reason = badPassword, account = '
                 '"admin", source = "console"',
                 'event = loginFailed, reason = unknownAccount, account = ""',
                 'event = loginSucceeded, reason = ok, account = "admin"',
                 'strength = password'):
        expect(sh.con, want in text, f"capnp decode gave no {want!r}: "
               f"{text[:2000]!r}")
    seqs = [int(x) for x in re.findall(r"\(seq = (\d+),", text)]
    expect(sh.con, seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 8,
           f"decoded sequence numbers {seqs}")
    for pw in (ADMIN_PW, GUEST_PW, WRONG_PW, "mallory"):
        expect(sh.con, pw.encode() not in blob and pw not in text,
               f"the raw audit log holds {pw!r}")


def caps_of(out):
    return sorted(l.split()[0] + " " + l.split()[1]
                  for l in out.splitlines() if l.endswith(" bundle)"))


@case
def shell_login_bundles_calls_run_and_audit_on_the_console():
    sh = Shell()
    banner = sh.wait("capos> ")
    expect(sh.con, "NOT FOR PRODUCTION" in banner and
           f"admin / {ADMIN_PW}" in banner, "the banner states the "
           "development account as such")

    # Anonymous: the anonymous profile's bundle only.
    out = sh.command("caps", "capos> ")
    expect(sh.con, caps_of(out) == ["session UserSession"],
           f"anonymous caps: {out!r}")
    out = sh.command("frobnicate now", "capos> ")
    expect(sh.con, "unknown command: frobnicate (type 'help')" in out, repr(out))

    # A wrong password and an unknown name get the same message; the
    # second failure in a row from the console is slowed down more.
    out = sh.login("admin", WRONG_PW, "capos> ")
    expect(sh.con, "Login incorrect." in out, repr(out))
    sh.type("login\r", "username> ")
    sh.type("mallory\r", "password> ")
    start = time.monotonic()
    out = sh.type(ADMIN_PW + "\r", "capos> ")
    slowed = time.monotonic() - start
    expect(sh.con, "Login incorrect." in out, repr(out))
    expect(sh.con, slowed >= 0.5, f"the second failure was answered in "
           f"{slowed:.2f}s, before the 0.5 s the policy owes it")
    expect(sh.con, WRONG_PW not in sh.con.text() and
           sh.con.text().count(ADMIN_PW) == 1,
           "a typed password was echoed")

    # A guest: the guest bundle, and nothing else answers.
    out = sh.login("guest", GUEST_PW, "guest@capos> ")
    expect(sh.con, "Logged in as guest, profile guest." in out, repr(out))
    out = sh.command("caps", "guest@capos> ")
    expect(sh.con, caps_of(out) == ["launcher ProgramLauncher",
                                    "session UserSession"],
           f"guest caps: {out!r}")
    out = sh.command("call audit.read(max=1)", "guest@capos> ")
    expect(sh.con, "this shell holds no capability named audit" in out, repr(out))
    out = sh.command("audit", "guest@capos> ")
    expect(sh.con, "holds no audit log reader" in out, repr(out))
    out = sh.command("shutdown", "guest@capos> ")
    expect(sh.con, "only an operator session may halt" in out, repr(out))
    # Ctrl-D on an empty line logs out.
    out = sh.type("\x04", "capos> ")
    expect(sh.con, "Logged out guest." in out, repr(out))

    # The operator: exactly the operator profile's bundle.
    out = sh.login("admin", ADMIN_PW, "admin@capos> ")
    expect(sh.con, "Logged in as admin, profile operator." in out, repr(out))
    out = sh.command("caps", "admin@capos> ")
    expect(sh.con, caps_of(out) == ["audit AuditLog",
                                    "launcher ProgramLauncher",
                                    "session UserSession"],
           f"operator caps: {out!r}")
    out = sh.command("whoami", "admin@capos> ")
    expect(sh.con, "\nadmin\n" in out, repr(out))

    # Typed calls, checked against the schema's metadata.
    out = sh.command("call launcher.programs()", "admin@capos> ")
    expect(sh.con, '(names = ["hello", "count"])' in out, repr(out))
    out = sh.command("call session.info()", "admin@capos> ")
    expect(sh.con, 'principal = 1000, account = "admin", profile = '
           '"operator", strength = password' in out, repr(out))
    # The shell asked the terminal its size at start (the serial console
    # answers 80x24).
    out = sh.command("session", "admin@capos> ")
    expect(sh.con, "terminal: 80 columns, 24 rows" in out, repr(out))
    for line, err in (
            ('call audit.read(max="x")', "max is UInt32: give a number"),
            ("call audit.read(max=-1)", "max is UInt32: out of range"),
            ("call audit.read(first=1)", "read takes no argument first"),
            ("call launcher.nosuch()", "launcher (ProgramLauncher) has no "
             "method nosuch"),
            ("call launcher.programs(", "expected ) to end the arguments"),
            ("call spawner.spawn()",
             "this shell holds no capability named spawner")):
        out = sh.command(line, "admin@capos> ")
        expect(sh.con, f"call: {err}" in out, f"{line}: {out!r}")

    # run: the child holds exactly its one grant.
    out = sh.command("run hello", "admin@capos> ")
    expect(sh.con, "hello: hello, world from hello, holding 1 capability"
           in out, repr(out))
    # Ctrl-C while a program runs: the shell kills it through its
    # ProcessHandle, says how it ended, and the prompt comes back.
    sh.type("run count\r", "count: 20\n")
    out = sh.type("\x03", "admin@capos> ")
    expect(sh.con, "run: count was killed" in out, repr(out))
    out = sh.command("whoami", "admin@capos> ")
    expect(sh.con, "count:" not in out and "\nadmin\n" in out, repr(out))
    out = sh.command("run chat", "admin@capos> ")
    expect(sh.con, "run: chat is not a program this launcher starts" in out,
           repr(out))

    # Line editing: Ctrl-C abandons a line, Backspace, Ctrl-W, Ctrl-U,
    # history, and Tab completion.
    out = sh.type("shutdown\x03", "admin@capos> ")
    expect(sh.con, "^C" in out and "Shutting down" not in out, repr(out))
    out = sh.command("whoamx\x7fi", "admin@capos> ")
    expect(sh.con, "\nadmin\n" in out, repr(out))
    out = sh.command("frob nicate\x17\x15whoami", "admin@capos> ")
    expect(sh.con, "\nadmin\n" in out and "unknown" not in out, repr(out))
    # Two whoami lines in a row are one history entry: Up twice is the
    # line before them.
    out = sh.command("\x1b[A\x1b[A\x1b[B", "admin@capos> ")
    expect(sh.con, "\nadmin\n" in out, f"history: {out!r}")
    sh.type("cal\t", "call ")
    sh.type("laun\t", "launcher")
    sh.type(".prog\t", "programs")
    out = sh.command("()", "admin@capos> ")
    expect(sh.con, '(names = ["hello", "count"])' in out,
           f"completion: {out!r}")

    # Bracketed paste (docs/shell.md, "Pasting"): on with the prompt, off
    # in the write that ends the line, before the command's output.
    out = sh.command("whoami", "admin@capos> ")
    expect(sh.con, "\x1b[?2004l" in out and
           out.index("\x1b[?2004l") < out.index("\nadmin\n") and
           "\x1b[?2004hadmin@capos> " in out, f"paste mode: {out!r}")
    # A pasted block of two lines is one line on the prompt: its echo
    # shows both lines with spaces for their ends, nothing runs until
    # Enter is typed, and then only the first word is the command (the
    # second line never runs as one).
    sh.con.send("\x1b[200~bogus-one\rbogus-two\r\x1b[201~")
    sh.wait("bogus-one bogus-two ")
    expect(sh.con, "unknown command" not in sh.since(),
           f"a pasted line ran before Enter: {sh.since()!r}")
    out = sh.command("", "admin@capos> ")
    expect(sh.con, "unknown command: bogus-one (type 'help')" in out and
           "bogus-two (" not in out and out.count("unknown command") == 1,
           f"the pasted block ran as: {out!r}")

    # Bad input gets a message and the shell goes on.
    out = sh.command("who\x02ami", "admin@capos> ")
    expect(sh.con, "1 control character, which are not accepted" in out,
           repr(out))
    sh.con.send(b"\xff\xfe")
    out = sh.command("", "admin@capos> ")
    expect(sh.con, "not valid UTF-8" in out, repr(out))
    # 64 KiB typed at once. Whether the kernel's 4 KiB input buffer
    # overflows depends on how fast the guest reads, but no byte may go
    # missing unsaid: the refused line's length plus the bytes the
    # terminal reported lost is exactly what was typed. Enter comes once
    # the console has gone quiet, so it cannot be among the dropped bytes.
    flood = 65536
    mark = len(sh.con.text())
    sh.con.send("x" * flood)
    seen, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 60
    while time.monotonic() < deadline:
        n = len(sh.con.text())
        if n != seen:
            seen, quiet_since = n, time.monotonic()
        elif time.monotonic() - quiet_since >= 1.0:
            break
        time.sleep(0.1)
    out = sh.command("", "admin@capos> ")
    m = re.search(r"the line is (\d+) bytes, longer than 1024; it was not run",
                  out)
    expect(sh.con, m is not None, repr(out[-300:]))
    lost = sum(int(k) for k in re.findall(
        r"\[terminal\] (\d+) typed bytes were lost", sh.con.text()[mark:]))
    expect(sh.con, int(m.group(1)) + lost == flood,
           f"{m.group(1)} bytes in the line and {lost} reported lost, "
           f"of {flood} typed")
    print(f"     64 KiB flood: {m.group(1)} bytes reached the line, "
          f"{lost} reported lost")
    out = sh.command("whoami", "admin@capos> ")
    expect(sh.con, "\nadmin\n" in out, repr(out))

    # The audit log: the failures with reason codes, the logins, and no
    # byte of any typed password.
    out = sh.command("audit", "admin@capos> ")
    expect(sh.con, 'event = loginFailed, reason = badPassword, account = '
           '"admin"' in out, f"audit: {out!r}")
    expect(sh.con, 'event = loginFailed, reason = unknownAccount, account '
           '= ""' in out, f"audit: {out!r}")
    expect(sh.con, 'event = loginSucceeded, reason = ok, account = "admin"'
           in out, f"audit: {out!r}")
    expect(sh.con, 'event = sessionEnded, reason = ok, account = "guest"'
           in out, f"audit: {out!r}")
    for pw in (ADMIN_PW, GUEST_PW, WRONG_PW, "mallory"):
        expect(sh.con, pw not in out, f"the audit log holds {pw!r}")
    check_audit_raw(sh)

    # logout, then the operator shuts the machine down.
    out = sh.command("logout", "capos> ")
    expect(sh.con, "Logged out admin." in out, repr(out))
    out = sh.command("audit", "capos> ")
    expect(sh.con, "holds no audit log reader" in out, repr(out))
    sh.login("admin", ADMIN_PW, "admin@capos> ")
    sh.con.send("shutdown\r")
    run = sh.con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "Shutting down")
    expect_line(run, "[init] shell exited with status 0")
    expect_line(run, "[init] shell ended: stopping the system")


@case
def restricted_shell_launcher_starts_a_shell_with_the_brokers_bundle():
    con = Console(kernel=kernel_image(),
                  initrd=os.path.join(BUILD, "shells.pkg"), timeout=120)
    sh = Shell.__new__(Shell)
    sh.con, sh.mark = con, 0
    # gatetest says the shell runs once its launch returned; the shell,
    # running on another CPU, may print its first prompt before that.
    out = sh.wait("admin@capos> ")
    deadline = time.monotonic() + 60
    while "[gatetest] a shell runs on the console" not in con.text():
        if time.monotonic() > deadline:
            raise CaseFailed("gatetest never said the shell runs")
        time.sleep(0.02)
    expect(con, "Logged in as admin, profile operator." in out, repr(out))
    out = sh.command("caps", "admin@capos> ")
    expect(con, caps_of(out) == ["audit AuditLog",
                                 "launcher ProgramLauncher",
                                 "session UserSession"],
           f"launched shell's caps: {out!r}")
    expect(con, "sessionManager" not in out, repr(out))
    out = sh.command("login", "admin@capos> ")
    expect(con, "already logged in as admin" in out, repr(out))
    out = sh.command("run hello", "admin@capos> ")
    expect(con, "holding 1 capability" in out, repr(out))
    # spin never writes and never ends: Ctrl-C kills it (the launcher's
    # debug line says it started, so the key reaches a running program).
    con.send("run spin\r")
    deadline = time.monotonic() + 60
    while "[launcher] started spin" not in con.text()[sh.mark:]:
        if time.monotonic() > deadline:
            raise CaseFailed("spin never started")
        time.sleep(0.02)
    out = sh.type("\x03", "admin@capos> ")
    expect(con, "^C" in out and "run: spin was killed" in out, repr(out))
    out = sh.command("whoami", "admin@capos> ")
    expect(con, "\nadmin\n" in out, repr(out))
    con.send("logout\r")
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[shell-launcher] started a shell, profile operator, "
                     "holding terminal and 3 bundle capabilities")
    expect_line(run, "[proof] restricted-shell ok: the broker refused a "
                     "guest's operator shell (profileNotAllowed) and a root "
                     "shell (unknownProfile); admin's shell ran with the "
                     "operator bundle, ended cleanly, and its session ended "
                     "with it")
    expect_line(run, "[gatetest] 10 checks, 0 failed")
    # The killed program left nothing behind.
    expect_line(run, "[proof] no-leak ok")
