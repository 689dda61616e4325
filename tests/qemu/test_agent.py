"""The agent shell (system/agent.capnp, docs/agent.md): capos-shell's
agent mode with model-script, driven as a person at the console would.
The model proposes calls; the shell gates each one (auto, consent,
stepUp, forbidden, not offered), runs the allowed ones itself, records
each decision in auth's audit log, and Ctrl-C cancels a turn."""
import os
import re
import sys
import time

from harness import (BUILD, EXIT_CLEAN, Console, case, expect,
                     expect_line, expect_status, kernel_image)
from test_shell import (ADMIN_PW, WRONG_PW, Shell, audit_raw_decoded,
                        caps_of)

AGENT = "admin@capos agent> "


def agent_shell():
    sh = Shell.__new__(Shell)
    sh.con = Console(kernel=kernel_image(),
                     initrd=os.path.join(BUILD, "agent.pkg"),
                     append="loglevel=debug", timeout=240)
    sh.mark = 0
    return sh


def audit_records(out):
    """(event, reason, tool) of each toolDecision or stepUp record."""
    return [(m.group(1), m.group(2), m.group(3))
            for m in re.finditer(r'event = (toolDecision|stepUp), reason = '
                                 r'(\w+),[^\n]*?tool = "([^"]*)"', out)]


def received_with(text, words):
    """The conversation model-script received in the answer to words."""
    m = re.search(r"\[model-script\] answer \d+: received:([^\n]*user "
                  rf'"{re.escape(words)}")', text)
    return m.group(1) if m else None


def offered_in(text, turn):
    m = re.search(rf"\[model-script\] answer {turn}: tools offered:(.*)", text)
    return m.group(1) if m else None


SLEEP = "agent: timer.sleep(ns=10000000000)  [auto]"
# The user's time at the consent prompt: long enough that, counted, it
# would end the turn one sleep earlier (10 + USER_S + 10 > 25).
USER_S = 10


def check_turn_limit(sh):
    """The turn's limit (agentTurn=25 in system/agent.capnp) is on the
    whole turn, not on one wait: the model answers at once and its calls
    each take 10 s (agentWait=10 bounds the model's answers, a call has
    only the turn's bound), so no single wait ends the turn, and the
    third call is cut when the turn's 25 s are up. The user's time at the
    consent prompt between them is left out: counted, it would have cut
    the second."""
    out = sh.command("take your time", 'agent: run launcher.run('
                     'program="hello") ? [y/N] ')
    expect(sh.con, out.count(SLEEP) == 1, f"before the prompt: {out!r}")
    # The person at the console takes their time before answering: the
    # wait is the input under test, not a wait for output.
    time.sleep(USER_S)
    out = sh.command("y", AGENT)
    cut = out.find("agent: timer.sleep(ns=10000000000) is no longer "
                   "waited for")
    ended = out.find("agent: the turn took more than its limit of 25 s; "
                     "the turn is ended")
    # hello ran, the second sleep ran to its end, the third was cut.
    expect(sh.con, "(started = (handle = <capability" in out and
           out.count(SLEEP) == 2 and 0 <= out.rfind(SLEEP) < cut < ended,
           f"after the prompt: {out!r}")


@case
def agent_shell_gates_the_models_tool_calls_on_the_console():
    sh = agent_shell()
    sh.wait("capos> ")
    boot = sh.con.text()
    # The model's process holds its endpoint and the console: nothing of
    # any session's, before or after.
    m = re.search(r"\[model-script\] holds:(.*)", boot)
    expect(sh.con, m is not None and sorted(m.group(1).split()) ==
           ["console", "model"], f"the model holds: {m and m.group(1)!r}")

    sh.login("admin", ADMIN_PW, "admin@capos> ")
    out = sh.command("caps", "admin@capos> ")
    expect(sh.con, caps_of(out) == ["audit AuditLog",
                                    "launcher ProgramLauncher",
                                    "model LanguageModel",
                                    "session UserSession", "timer Timer"],
           f"operator caps: {out!r}")
    out = sh.command("agent", AGENT)
    expect(sh.con, "with 7 tools it may propose" in out, repr(out))

    # A read-only call the map marks auto runs at once, and its result
    # goes back to the model, which answers with it.
    out = sh.command("which programs are there?", AGENT)
    expect(sh.con, "model: I will ask the launcher." in out and
           "agent: launcher.programs()  [auto]" in out and
           '(names = ["hello", "count"])' in out and
           'model: launcher.programs ran: (names = ["hello", "count"])'
           in out, repr(out))
    # What the model was told: the map's allowed tools with their modes,
    # and neither the forbidden tool nor one outside the map.
    offered = offered_in(sh.con.text(), 1)
    expect(sh.con, offered is not None and
           "session.info (auto, read-only)" in offered and
           "launcher.programs (auto, read-only)" in offered and
           "launcher.run (consent)" in offered and
           "audit.read (stepUp, read-only)" in offered and
           "timer.now (auto, read-only)" in offered and
           "session.stepUp (stepUp)" in offered and
           "session.logout" not in offered and
           "session.shellBundle" not in offered and
           "model." not in offered, f"tools offered: {offered!r}")

    # A mutating call asks, showing the exact typed call: no runs nothing,
    # and the model hears it was declined; yes runs it.
    out = sh.command("please start hello", 'agent: run launcher.run('
                     'program="hello") ? [y/N] ')
    out = sh.command("n", AGENT)
    expect(sh.con, "agent: declined" in out and "(started" not in out and
           "model: launcher.run declined" in out, repr(out))
    # The second turn's request carried the first: the user's words, the
    # model's text, its call and the call's outcome, then the new words.
    conv = received_with(sh.con.text(), "please start hello")
    expect(sh.con, conv is not None and conv.startswith(
        ' user "which programs are there?" / assistant "I will ask the '
        'launcher." / call launcher.programs() / result launcher.programs '
        'ran / assistant "launcher.programs ran: (names = [') and
        conv.endswith(' / user "please start hello"'),
        f"the second turn received: {conv!r}")
    # A paste whose rest would answer the prompt does not: keys typed
    # before the call was shown are dropped.
    sh.type("please start hello\ry\r", 'agent: run launcher.run('
            'program="hello") ? [y/N] ')
    out = sh.command("n", AGENT)
    expect(sh.con, "agent: declined" in out and "(started" not in out,
           f"type-ahead answered the consent prompt: {out!r}")
    sh.command("start hello again", 'agent: run launcher.run('
               'program="hello") ? [y/N] ')
    out = sh.command("y", AGENT)
    expect(sh.con, "(started = (handle = <capability" in out and
           "model: launcher.run ran: (started" in out, repr(out))

    # A step-up call asks for the password again: a wrong one is refused,
    # the right one runs it. Neither is echoed.
    out = sh.command("read the audit log", "password for admin> ")
    expect(sh.con, "agent: audit.read(after=0, max=2) needs you to "
           "authenticate again." in out, repr(out))
    out = sh.command(WRONG_PW, "password for admin> ")
    expect(sh.con, "agent: authentication failed" in out, repr(out))
    out = sh.command(ADMIN_PW, AGENT)
    expect(sh.con, "(records = [(seq = 1," in out and
           "model: audit.read ran: (records" in out, repr(out))
    expect(sh.con, WRONG_PW not in sh.con.text() and
           sh.con.text().count(ADMIN_PW) == 1, "a typed password was "
           "echoed")

    # A step-up tool whose argument the schema marks secret: shown
    # redacted; run after the step-up (the model's password is wrong).
    # Past the bound on earlier messages the oldest turn is dropped.
    out = sh.command("prove it is me", "password for admin> ")
    expect(sh.con, "agent: the conversation is over its bound of 16 "
           "earlier messages; its 1 oldest turn (5 messages) is dropped"
           in out and "agent: session.stepUp(password=<secret>) needs you "
           "to authenticate again." in out, repr(out))
    out = sh.command(ADMIN_PW, AGENT)
    expect(sh.con, "(reason = badPassword)" in out, repr(out))
    conv = received_with(sh.con.text(), "prove it is me")
    expect(sh.con, conv is not None and conv.startswith(
        ' user "please start hello" /'), f"after the drop: {conv!r}")

    # A forbidden tool, and one outside the map, are refused when the
    # model calls them anyway; the model is told so.
    out = sh.command("log me out", AGENT)
    expect(sh.con, "agent: session.logout refused: forbidden in this "
           "profile" in out and "model: session.logout refused: forbidden"
           in out, repr(out))
    out = sh.command("get me another bundle", AGENT)
    expect(sh.con, "agent: session.shellBundle refused: not a tool offered "
           "to the model" in out and "model: session.shellBundle refused: "
           "not offered" in out, repr(out))

    # Ctrl-C while the model is answering cancels the answer: the prompt
    # comes back and the model sees the cancel.
    sh.command("think hard about it", "model: Thinking...")
    sh.con.wait_for("stalling until cancelled")
    out = sh.type("\x03", AGENT)
    expect(sh.con, "agent: the turn is cancelled" in out, repr(out))
    sh.con.wait_for("cancelled while stalled")
    # A cancelled answer costs the shell nothing it needs later: more
    # cancels than the shell has buffers for calls in flight.
    for _ in range(7):
        sh.command("think hard again", "model: Thinking...")
        out = sh.type("\x03", AGENT)
        expect(sh.con, "agent: the turn is cancelled" in out, repr(out))
    # A model that never answers is ended by the shell's limit
    # (agentWait=10 in system/agent.capnp), which the audit log records.
    out = sh.command("wait forever", AGENT)
    expect(sh.con, "agent: the model took more than 10 s over its answer; "
           "the turn is ended" in out, repr(out))
    # The shell goes on after it.
    out = sh.command("what time is it", AGENT)
    expect(sh.con, "agent: timer.now()  [auto]" in out and
           "agent: session.info()  [auto]" in out and
           "model: timer.now ran: (ns = " in out, repr(out))

    check_turn_limit(sh)

    # Leaving agent mode; the audit log holds every decision, with its
    # reason code and tool, and no password.
    sh.command("exit", "admin@capos> ")
    out = sh.command("audit", "admin@capos> ")
    recs = audit_records(out)
    for want in (("toolDecision", "toolAuto", "launcher.programs"),
                 ("toolDecision", "toolDeclined", "launcher.run"),
                 ("toolDecision", "toolConsented", "launcher.run"),
                 ("stepUp", "badPassword", ""),
                 ("stepUp", "ok", ""),
                 ("toolDecision", "toolStepUpPassed", "audit.read"),
                 ("toolDecision", "toolForbidden", "session.logout"),
                 ("toolDecision", "toolNotOffered", "session.shellBundle"),
                 ("toolDecision", "toolAuto", "timer.now"),
                 ("toolDecision", "toolStepUpPassed", "session.stepUp"),
                 ("toolDecision", "turnTimedOut", "model")):
        expect(sh.con, want in recs, f"no audit record {want}: {recs}")
    # One for the model that never answered, one for the turn's limit.
    timed_out = recs.count(("toolDecision", "turnTimedOut", "model"))
    expect(sh.con, timed_out == 2,
           f"{timed_out} turnTimedOut records, expected 2: {recs}")
    expect(sh.con, recs.index(("toolDecision", "toolDeclined",
                               "launcher.run")) <
           recs.index(("toolDecision", "toolConsented", "launcher.run")),
           f"audit order: {recs}")
    for pw in (ADMIN_PW, WRONG_PW, "model-secret-1"):
        expect(sh.con, pw not in out, f"the audit log holds {pw!r}")
    # Nor is any of them anywhere in the log's bytes.
    blob, _ = audit_raw_decoded(sh.command("audit raw", "admin@capos> "))
    for pw in (ADMIN_PW, WRONG_PW, "model-secret-1"):
        expect(sh.con, pw.encode() not in blob,
               f"the audit log's bytes hold {pw!r}")
    # Each decision on a checked call records the call, its secret
    # argument redacted and the others as they were.
    expect(sh.con, re.search(r'reason = toolConsented,[^\n]*call = '
                             r'"launcher\.run\(program=\\"hello\\"\)"',
                             out) and
           re.search(r'reason = toolStepUpPassed,[^\n]*call = '
                     r'"session\.stepUp\(password=<secret>\)"', out),
           f"the calls recorded: {out!r}")

    sh.con.send("shutdown\r")
    run = sh.con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[init] all services have ended")
    expect_line(run, "[proof] model-confined ok: the model held only its "
                     "endpoint and the console, and none of the calls")


FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "fake_openai.py")


@case
def agent_shell_with_model_openai_against_a_scripted_server():
    """model-openai speaks chat completions to tests/qemu/fake_openai.py,
    which QEMU runs for each connection to 10.0.2.100:80: a full turn (a
    tool call, its result sent back, the answer), then hostile replies,
    each ending as a clean error the user sees."""
    log = os.path.join(BUILD, "tests", "fake-openai.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    if os.path.exists(log):
        os.remove(log)
    sh = Shell.__new__(Shell)
    sh.con = Console(
        kernel=kernel_image(), initrd=os.path.join(BUILD, "agent-openai.pkg"),
        timeout=240,
        extra=["-netdev", "user,id=n0,guestfwd=tcp:10.0.2.100:80-cmd:"
               f"{sys.executable} {FAKE} {log}",
               "-device", "virtio-net-pci,netdev=n0"])
    sh.mark = 0
    sh.wait("capos> ")
    m = re.search(r"\[model-openai\] holds:(.*)", sh.con.text())
    expect(sh.con, m is not None and sorted(m.group(1).split()) ==
           ["console", "model", "server", "timer"], f"model-openai holds: "
           f"{m and m.group(1)!r}")
    sh.login("admin", ADMIN_PW, "admin@capos> ")
    sh.command("agent", AGENT)

    out = sh.command("which programs are there?", AGENT)
    expect(sh.con, "model: Asking the launcher." in out and
           "agent: launcher.programs()  [auto]" in out and
           'model: The tool said: ran: (names = ["hello", "count"])' in out,
           repr(out))
    # The server saw the tools the map allows, under the protocol's names,
    # and neither the forbidden nor the unmapped ones.
    with open(log) as f:
        seen = f.read()
    m = re.search(r"model=scripted messages=2 last=user tools=(\S*)", seen)
    tools = m.group(1).split(",") if m else []
    expect(sh.con, sorted(tools) == ["audit-read", "launcher-programs",
                                     "launcher-run", "session-info",
                                     "timer-now"], f"tools sent: {tools}")
    expect(sh.con, "last=tool" in seen, f"the tool result was not sent "
           f"back: {seen!r}")

    for words, err in (
            ("a malformed answer", "agent: the model failed: the answer is "
             "not JSON"),
            ("an unknown tool", "agent: spawner.spawn refused: not a tool "
             "offered to the model"),
            ("huge arguments", "agent: the model failed: the arguments of "
             "launcher.run are not a string of at most 4096 bytes"),
            ("the answer stops", "agent: the model failed: the response "
             "was cut off after"),
            # deadline=5 in system/agent-openai.capnp.
            ("the answer stalls", "agent: the model failed: no whole "
             "response within the deadline of 5 s ("),
            # Terminal controls, C1 ones too, are shown as '?' and refuse
            # a call whose argument holds one.
            ("drive the terminal", "model: Look?2J?52;c;QQ==? done?[31m "
             "\u00e9"),
            ("drive the terminal", "agent: launcher.run refused: the "
             "arguments are malformed or too long")):
        out = sh.command(words, AGENT)
        expect(sh.con, err in out, f"{words}: {out!r}")
    # Each request carried the turns before it: the second one the first
    # turn's words, the model's call, its outcome and the answer.
    with open(log) as f:
        seen = f.read()
    expect(sh.con, "roles=system,user,assistant,assistant,tool,assistant,"
           "user "
           "users=which programs are there?|a malformed answer\n" in seen,
           f"the second turn's request: {seen!r}")
    expect(sh.con, "\u009b" not in sh.con.text() and
           "\u009d" not in sh.con.text(), "a C1 control reached the "
           "terminal")
    out = sh.command("hello", AGENT)
    expect(sh.con, "model: Hello from the scripted server." in out, repr(out))

    sh.command("exit", "admin@capos> ")
    sh.con.send("shutdown\r")
    run = sh.con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] model-openai-confined ok: it held only its "
                     "endpoint, one server's connect authority, a timer "
                     "and the console")
