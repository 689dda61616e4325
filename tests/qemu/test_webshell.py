"""Passkeys in a browser (docs/web.md, "Passkeys"): the web system boots
as for test_web.py, and tests/browser/webshell.js drives Debian's
chromium with a virtual WebAuthn authenticator against it: a password
login in the terminal enrols a passkey, the passkey logs in and runs
`caps` (a screenshot kept as build/webshell/terminal.png), one agent
turn's call is gated by consent and run, a second
login's tab is closed without logout, and a replayed
challenge, a wrong origin, a wrong RP ID, a tampered signature and a
stale cookie are each refused. This file checks the console: each
refusal for its own reason, given by auth or the gateway after its
check, no shell but the three logins', the closed tab's shell ended and
its session revoked, every session ended, and the
kernel's leak check at the stop.

make test-browser-deps (in make test) fetches playwright-core, pinned
by tests/browser/package-lock.json, into build/browser/; chromium is a
Debian package of make deps.
"""
import os
import re
import subprocess

import harness
from harness import BUILD, CaseFailed, case, expect
from test_web import (BOOT_TIMEOUT_S, CERT, LISTEN_TIMEOUT_S, UP_LINE,
                      Guest)

SCRIPT = os.path.join(BUILD, "browser", "webshell.js")
SHOT = os.path.join(BUILD, "webshell", "terminal.png")
# The whole browser run, bounded: every wait inside it is 120 s at most.
BROWSER_TIMEOUT_S = 900


def boot():
    for attempt in range(3):
        g = Guest()
        try:
            g.wait_line("[proof] boot ok", BOOT_TIMEOUT_S)
            return g
        except CaseFailed:
            # A forward port taken in the meantime stops QEMU at once.
            if g.proc.poll() is None or attempt == 2:
                g.stop()
                raise
            g.stop()
            harness.RUNS.pop()
    raise CaseFailed("no boot")


@case
def webshell_passkeys_in_chromium():
    expect(None, os.path.exists(SCRIPT),
           f"{SCRIPT} missing: make test-browser-deps")
    os.makedirs(os.path.dirname(SHOT), exist_ok=True)
    if os.path.exists(SHOT):
        os.remove(SHOT)
    g = boot()
    try:
        g.wait_line(UP_LINE, BOOT_TIMEOUT_S)
        g.wait_line("[web-gateway] listening on port 443", LISTEN_TIMEOUT_S)
        env = dict(os.environ, WEB_PORT=str(g.port), WEB_CERT=CERT,
                   WEB_SHOT=SHOT)
        try:
            r = subprocess.run(["node", SCRIPT], env=env, timeout=
                               BROWSER_TIMEOUT_S, capture_output=True)
        except subprocess.TimeoutExpired:
            raise CaseFailed(f"the browser run passed {BROWSER_TIMEOUT_S} s")
        out = r.stdout.decode("utf-8", "replace")
        print(out, end="")
        expect(None, r.returncode == 0 and "all steps passed" in out,
               f"the browser run failed ({r.returncode}): "
               f"{r.stderr.decode('utf-8', 'replace')[-2000:]}")
        expect(None, os.path.getsize(SHOT) > 0, "no screenshot")
        for line in ("[auth] passkey enrolled for admin",
                     "[web-gateway] conn", "logged in with a passkey",
                     # Each refusal, for its own reason.
                     "[auth] passkey login refused: not a challenge issued",
                     "[auth] passkey login refused: origin mismatch",
                     "[auth] passkey login refused: rpIdHash mismatch",
                     "[auth] passkey login refused: signature "
                     "invalid",
                     "[proof] web-stale-cookie refused",
                     # The closed tab: its shell ended, its session gone.
                     "[proof] web-hangup ok",
                     # The agent turn: the model holds its endpoint
                     # and the console only, the consented call ran,
                     # and the model was told its outcome.
                     "[model-script] holds: console model",
                     "[launcher] started hello",
                     "[model-script] answer 2: result launcher.run ran",
                     # The enrolment by code, and its refusals: the
                     # used code's options, its answer again, a made-up
                     # code.
                     "[auth] enrolment code issued for admin",
                     "[auth] passkey enrolled by code for admin (2 held)",
                     "[web-gateway] conn",
                     "[auth] passkey enrolment by code refused: not an "
                     "enrolment code issued",
                     # The smaller window's size.
                     "terminal resized to"):
            g.wait_line(line, BOOT_TIMEOUT_S)
        m = re.search(r"^enrolment code: (\S+)$", out, re.M)
        expect(None, m is not None, "the run printed no enrolment code")
        expect(None, not any(m.group(1) in x for x in g.lines),
               "the enrolment code is on the console")
        unknown = sum("passkey enrolment refused: not an enrolment code "
                      "issued" in x for x in g.lines)
        expect(None, unknown == 2, f"{unknown} enrolment codes refused "
               "for their options, not 2 (the used one, the made-up one)")
        shells = sum("shell started" in x for x in g.lines)
        expect(None, shells == 4,
               f"{shells} shells started, not the four logins'")
        refused = sum("passkey login refused: no session, no shell" in x
                      for x in g.lines)
        expect(None, refused == 4, f"{refused} passkey logins refused, "
               "not 4")
        exits = sum("shell exited with status 0" in x for x in g.lines)
        expect(None, exits == 4, f"{exits} shells exited, not 4")
        for bad in ("panic", "FAILED", "invariant broken", "faulted",
                    "STILL LIVE", "[init] web-gateway exited",
                    "[init] auth exited"):
            expect(None, not g.has_line(bad),
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
