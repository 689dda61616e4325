#!/usr/bin/env python3
"""make bench-smoke: keep the benchmark harness from rotting.

Checks the guest line protocol on good and bad input, then runs the harness
command given after "--" (few iterations, TCG) and checks what it produced:
the Linux guest booted and finished, every Linux row has a positive figure,
the capOS guest (when it ran) finished and its figures are positive, no
capOS figure appears without a capOS run, and the JSON is well formed;
the same for the -smp pass (both guests booted again with several CPUs
for the rows of SMP_ROWS) and the TCP pass (again, with two CPUs, for
the rows of NET_SMP_ROWS) when the command asks for them.
Timings are never asserted. Ends with "N passed, N failed".

It also checks the telnet login row's client against a scripted server
on the loopback, and, when the harness was given the Telnet system
(--telnet-capos-kernel and --telnet-capos-initrd), that the row's own
boots of both guests each logged in and ran their command, with a
positive figure in the table.

With --ssh-json and --ssh-cmd, it runs `make bench-ssh`'s command (one
boot of each guest, one timed login and one short stream each) and checks
that both sides logged in, ran whoami and streamed count's lines intact.

With --webshell-json and --webshell-cmd, it runs `make bench-webshell`'s
command (one boot of the web shell system: chromium adds a passkey, logs
in with it once and types a few keys) and checks that every login and
key gave a positive time.

Usage: smoke.py [--ssh-json S.json --ssh-cmd CMD]
       [--webshell-json W.json --webshell-cmd CMD] --json RESULT.json
       -- HARNESS COMMAND...
"""
import json
import shlex
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))

import guest  # noqa: E402
import harness  # noqa: E402
import protocol  # noqa: E402
import telnetclient  # noqa: E402
import webshell  # noqa: E402
from rows import (NET_SMP_ROWS, ROWS, SMP_ROWS, SSH_ROWS,  # noqa: E402
                  TELNET_ROWS, WEBSHELL_ROWS)

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))


def rejected(line):
    try:
        protocol.parse(line)
    except protocol.ProtocolError:
        return True
    return False


def check_protocol():
    check("protocol: a row line parses",
          protocol.parse("[bench] row=getppid value=912.5 unit=cycles "
                         "iters=1400\r\n")
          == ("row", "getppid", 912.5, "cycles", 1400))
    check("protocol: start, end, tsc_hz, net and error lines parse",
          [protocol.parse(s) for s in (
              "[bench] start", "[bench] end", "[bench] tsc_hz=2596000000",
              "[bench] net port=5001", "[bench] error net-up: no eth0")]
          == [("start",), ("end",), ("tsc_hz", 2596000000), ("net", 5001),
              ("error", "net-up: no eth0")])
    check("protocol: console noise is not a protocol line",
          protocol.parse("[    2.09] reboot: Power down") is None)
    for name, line in (
            ("an unknown unit", "[bench] row=x value=1 unit=furlongs iters=1"),
            ("a row without iters", "[bench] row=x value=1 unit=cycles"),
            ("zero iters", "[bench] row=x value=1 unit=cycles iters=0"),
            ("a value that is not a number",
             "[bench] row=x value=fast unit=ms iters=1"),
            ("a value that overflows",
             "[bench] row=x value=" + "9" * 400 + " unit=ms iters=1"),
            ("a zero tsc_hz", "[bench] tsc_hz=0"),
            ("a port out of range", "[bench] net port=70000"),
            ("a truncated line", "[bench] row=getppid value=91"),
            ("an unknown verb", "[bench] started")):
        check(f"protocol: {name} is rejected", rejected(line), repr(line))

    run = guest.Run("linux")
    run.add_row("getppid", 900.0, "cycles", 10)
    run.add_row("getppid", 901.0, "cycles", 10)
    run.add_row("boot_to_init", 1.0, "cycles", 1)
    run.add_row("tcp_conn_per_sec", 5.0, "conn/s", 1)
    run.add_row("nop_single", 50.0, "cycles", 1)
    check("run: the first figure of a row is kept, nothing else",
          run.rows == {"getppid": 900.0}, run.rows)
    check("run: a repeated row, a wrong unit, a host-measured key and the "
          "other side's key are each an error", len(run.errors) == 4,
          run.errors)


def check_summary():
    linux = []
    for v in (200.0, 220.0, 210.0):
        run = guest.Run("linux")
        run.add_row("getppid", v, "cycles", 10)
        linux.append(run)
    capos = guest.Run("capos")
    capos.add_row("nop_single", 105.0, "cycles", 10)
    rows = {(r["capos_key"], r["linux_key"]): r
            for r in harness.summarize({"linux": linux, "capos": [capos]})}
    single = rows[("nop_single", "getppid")]
    check("summary: median, range and ratio of a paired row",
          single["linux"]["median"] == 210.0
          and single["linux"]["min"] == 200.0
          and single["linux"]["max"] == 220.0
          and single["ratio"] == 0.5, single)
    batch = rows[("nop_batch32", "getppid")]
    check("summary: a capOS row never printed stays absent beside its "
          "Linux figure", batch["capos"] is None and batch["ratio"] is None
          and batch["linux"]["median"] == 210.0, batch)
    check("summary: the table says 'not yet measured' for it",
          harness.fmt_side(batch["capos"], "not yet measured")
          == ("-", "not yet measured"))


def check_run(json_path, command):
    proc = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    check("harness exits 0", proc.returncode == 0,
          f"exit status {proc.returncode}")
    check("the TCG table is labelled as not meaningful",
          "NOT meaningful for comparison" in proc.stdout)
    try:
        with open(json_path) as f:
            result = json.load(f)
    except (OSError, ValueError) as e:
        check("JSON written and well formed", False, e)
        return
    telnet = "--telnet-capos-initrd" in command
    check("JSON written and well formed",
          isinstance(result.get("rows"), list)
          and len(result["rows"]) == len(ROWS) + (len(TELNET_ROWS)
                                                   if telnet else 0),
          "rows missing")
    check("JSON says tcg, not comparable",
          result.get("accelerator") == "tcg"
          and result.get("comparable") is False)
    runs = result["guests"]["linux"]["runs"]
    check("the Linux guest booted and reached [bench] end",
          len(runs) == 1 and runs[0]["started"] and runs[0]["ended"],
          runs and runs[0]["errors"])
    check("the Linux guest reported its TSC frequency",
          len(runs) == 1 and (runs[0]["tsc_hz"] or 0) > 0)
    if telnet:
        check_telnet_runs(result)
    # The telnet row boots a capOS system of its own.
    own = [t.capos for t in TELNET_ROWS]
    check_figures("", ROWS, [r for r in result["rows"]
                             if r["capos_key"] not in own],
                  result["guests"]["capos"]["skipped"],
                  result["guests"]["capos"]["runs"])
    check_pass(result, command, "--smp", "smp", "the -smp pass",
               SMP_ROWS)
    check_pass(result, command, "--net-smp", "net_smp", "the TCP pass",
               NET_SMP_ROWS)


def check_pass(result, command, option, member, name, rows):
    """A pass of several CPUs (the -smp pass, the TCP pass) ran if and
    only if option asked for more than one, and its figures are good."""
    asked = (option in command[:-1]
             and int(command[command.index(option) + 1]) > 1)
    check(f"{name} ran if and only if asked for",
          asked == (result.get(member) is not None), result.get(member))
    if not asked or result.get(member) is None:
        return
    p = result[member]
    runs = p["runs"]["linux"]
    what = f"{name} at -smp {p['cpus']}: "
    check(f"{what}the Linux guest booted and reached [bench] end",
          len(runs) == 1 and runs[0]["started"] and runs[0]["ended"],
          runs and runs[0]["errors"])
    check(f"{what}JSON says multi-threaded TCG", p["tcg_thread"] == "multi")
    check_figures(what, rows, p["rows"], p["capos_skipped"],
                  p["runs"].get("capos", []))


def check_figures(what, rows, summary, capos_skipped, capos_runs):
    """Every Linux row of rows has a positive figure; the capOS side has
    figures only when it ran, reached its end, and they are positive."""
    figures = {r["linux_key"]: r["linux"] for r in summary}
    for key in dict.fromkeys(r.linux for r in rows):
        s = figures.get(key)
        check(f"{what}Linux row {key} has a positive figure",
              s is not None and s["median"] > 0, s)
    if capos_skipped:
        invented = [r["capos_key"] for r in summary if r["capos"]]
        check(f"{what}no capOS figure without a capOS run", not invented,
              invented)
        return
    check(f"{what}the capOS guest booted and reached [bench] end",
          len(capos_runs) == 1 and capos_runs[0]["started"]
          and capos_runs[0]["ended"],
          capos_runs and capos_runs[0]["errors"])
    bad = [(r["capos_key"], r["capos"]["median"]) for r in summary
           if r["capos"] and not r["capos"]["median"] > 0]
    check(f"{what}every capOS figure printed is positive", not bad, bad)


def scripted_server(listener, got, whoami_answer):
    """One Telnet login as busybox telnetd and login would serve it, with
    options offered and asked for, a subnegotiation and an escaped 0xff
    in the text; records what the client sent."""
    IAC, DO, WILL, SB, SE = (telnetclient.IAC, telnetclient.DO,
                             telnetclient.WILL, telnetclient.SB,
                             telnetclient.SE)
    conn, _ = listener.accept()
    conn.settimeout(10)
    received = bytearray()

    def until(text):
        while text not in received:
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError("client closed early")
            received.extend(chunk)
    try:
        conn.sendall(bytes((IAC, DO, 24, IAC, WILL, 1, IAC, SB, 24, 1,
                            IAC, SE)) + b"\xff\xffhost l" + bytes((IAC,))
                     + bytes((241,)) + b"ogin: ")
        until(b"admin\r\n")
        conn.sendall(b"Password: ")
        until(b"pw\r\n")
        conn.sendall(b"\r\nadmin@linux> ")
        until(b"whoami\r\n")
        conn.sendall(b"whoami\r\n" + whoami_answer + b"\r\nadmin@linux> ")
        until(b"exit\r\n")
    finally:
        got.extend(received)
        conn.close()


def client_against_script(whoami_answer):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    got = bytearray()
    t = threading.Thread(target=scripted_server,
                         args=(listener, got, whoami_answer), daemon=True)
    t.start()
    try:
        ms = telnetclient.login_once(listener.getsockname()[1],
                                     telnetclient.LINUX, "admin", "pw",
                                     timeout=10)
        err = None
    except (OSError, telnetclient.TelnetError) as e:
        ms, err = None, str(e)
    t.join(timeout=10)
    listener.close()
    return ms, err, bytes(got)


def check_telnet_client():
    ms, err, got = client_against_script(b"admin")
    IAC, WONT, DONT = (telnetclient.IAC, telnetclient.WONT,
                       telnetclient.DONT)
    check("telnet client: a scripted login runs to the close",
          err is None and ms is not None and ms > 0, err)
    check("telnet client: DO is refused with WONT and WILL with DONT, "
          "nothing else is answered",
          got.startswith(bytes((IAC, WONT, 24, IAC, DONT, 1)) + b"admin\r\n")
          and got.count(bytes((IAC,))) == 2, got)
    check("telnet client: name, password, command and exit in order, "
          "ending in CR LF",
          got.endswith(b"admin\r\npw\r\nwhoami\r\nexit\r\n"), got)
    ms, err, _ = client_against_script(b"root")
    check("telnet client: a whoami answer without the user is an error",
          ms is None and err is not None and "whoami" in err, (ms, err))


def check_telnet_runs(result):
    """The telnet login row's boots, made by the harness itself."""
    row = TELNET_ROWS[0]
    figures = {r["capos_key"]: r for r in result["rows"]}
    for side, key in (("linux", row.linux), ("capos", row.capos)):
        runs = result["guests"].get("telnet", {}).get(side, {}).get("runs")
        check(f"telnet row: the {side} guest ran one login after the "
              "untimed one, with the user's name from whoami",
              runs is not None and len(runs) == 1
              and len(runs[0]["logins_ms"]) == 1 and not runs[0]["errors"],
              runs and runs[0]["errors"])
        s = figures.get(row.capos, {}).get(side)
        check(f"telnet row: {key} has a positive figure",
              s is not None and s["median"] > 0, s)


def run_bench(name, json_path, command):
    """Runs a make bench-NAME command (a stale JSON removed first) and
    checks it exits 0; its JSON result, or None when none was written
    or it is malformed."""
    if os.path.exists(json_path):
        os.remove(json_path)
    proc = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    check(f"{name} exits 0", proc.returncode == 0,
          f"exit status {proc.returncode}")
    try:
        with open(json_path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        check(f"{name} JSON written and well formed", False, e)
        return None


def check_ssh_run(json_path, command):
    result = run_bench("bench-ssh", json_path, command)
    if result is None:
        return
    for side in ("linux", "capos"):
        runs = result["guests"][side]["runs"]
        check(f"bench-ssh: the {side} guest ran one login after the "
              "untimed one (whoami naming the user) and one stream of "
              "count's lines arriving intact",
              len(runs) == 1 and not runs[0]["errors"] and
              [len(v) for v in runs[0]["values"].values()] == [1, 1],
              runs and runs[0]["errors"])
    for i, row in enumerate(SSH_ROWS):
        for side, key in (("linux", row.linux), ("capos", row.capos)):
            s = result["rows"][i][side]
            check(f"bench-ssh: {key} has a positive figure",
                  s is not None and s["median"] > 0, s)


def check_webshell_run(json_path, command):
    """make bench-webshell's command, quick: one boot, the untimed
    enrolment, one timed passkey login and KEYS_QUICK keys."""
    result = run_bench("bench-webshell", json_path, command)
    if result is None:
        return
    runs = result["guests"]["capos"]["runs"]
    want = [1, webshell.KEYS_QUICK]
    check("bench-webshell: chromium added a passkey, logged in with it "
          "once and had each typed key echoed",
          len(runs) == 1 and not runs[0]["errors"] and
          [len(runs[0]["values"].get(r.capos, ())) for r in WEBSHELL_ROWS]
          == want, runs and runs[0]["errors"])
    for i, row in enumerate(WEBSHELL_ROWS):
        s = result["rows"][i]["capos"]
        check(f"bench-webshell: {row.capos} has a positive figure",
              s is not None and s["median"] > 0, s)


# Options that each take a JSON path and the command that writes it.
EXTRA_RUNS = {"--ssh-json": ("--ssh-cmd", check_ssh_run),
              "--webshell-json": ("--webshell-cmd", check_webshell_run)}


def main():
    args = sys.argv[1:]
    extra = []
    while args[:1] and args[0] in EXTRA_RUNS:
        cmd_flag, fn = EXTRA_RUNS[args[0]]
        if len(args) < 4 or args[2] != cmd_flag:
            sys.exit(__doc__.strip().splitlines()[-1])
        extra.append((fn, args[1], shlex.split(args[3])))
        args = args[4:]
    if len(args) < 4 or args[0] != "--json" or args[2] != "--":
        sys.exit(__doc__.strip().splitlines()[-1])
    check_protocol()
    check_summary()
    check_telnet_client()
    check_run(args[1], args[3:])
    for fn, json_path, command in extra:
        fn(json_path, command)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
