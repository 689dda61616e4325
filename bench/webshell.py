#!/usr/bin/env python3
"""make bench-webshell: the web shell rows, capOS alone.

Boots the web shell system (system/webshell.capnp, build/web.pkg) in the
QEMU configuration of `make bench`, with a forward from a free port on
the host's 127.0.0.1 to guest port 443, and once the gateway listens runs
bench/webshell.js with Node: chromium, driven by playwright-core, logs in
with a passkey and types at the prompt. Rows: the time from loading the
page to the shell's first prompt after a passkey login, and a keystroke's
time to its echo through the WebSocket. There is no Linux counterpart (no
browser terminal on the Linux guest), so the figures are absolute: the
median over boots of each boot's median, with the spread between boots.
Prints a table and writes the same as JSON. docs/benchmarks.md, "The web
shell rows".
"""
import argparse
import datetime
import json
import os
import queue
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guest  # noqa: E402
import harness  # noqa: E402
from rows import WEBSHELL_ROWS  # noqa: E402
from telnet import Console  # noqa: E402

HTTPS_PORT = 443
LISTENING = "[web-gateway] listening on port 443"
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "webshell.js")
# Per boot, after the untimed enrolment: passkey logins, and keys typed
# at the prompt after each.
LOGINS_FULL, LOGINS_QUICK = 5, 1
KEYS_FULL, KEYS_QUICK = 20, 3
# The whole browser run of one boot, bounded (its own waits are 120 s).
BROWSER_TIMEOUT_S = 900

LOGIN, ECHO = WEBSHELL_ROWS
RESULT_KEYS = {LOGIN: "login_ms", ECHO: "echo_ms"}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capos-kernel", required=True)
    ap.add_argument("--capos-initrd", required=True)
    ap.add_argument("--capos-append", default="loglevel=info")
    ap.add_argument("--cert", required=True,
                    help="the development certificate the page is served "
                    "with")
    ap.add_argument("--node-path", required=True,
                    help="the node_modules folder holding playwright-core")
    ap.add_argument("--node", default="node")
    ap.add_argument("--accel", choices=("auto", "kvm", "tcg"),
                    default="auto")
    ap.add_argument("--cpu")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--runs", type=harness.positive, default=5)
    ap.add_argument("--quick", action="store_true",
                    help=f"{LOGINS_QUICK} timed login and {KEYS_QUICK} keys "
                    "per boot")
    ap.add_argument("--timeout", type=harness.positive, default=300,
                    help="seconds one boot may take to listen")
    ap.add_argument("--json", required=True)
    ap.add_argument("--logdir", required=True)
    return ap.parse_args()


def wait_listening(con, deadline):
    """None once the gateway says it listens, else why not."""
    while True:
        try:
            _, line = con.lines.get(
                timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return "the gateway did not listen before the deadline"
        if line is None:
            return "QEMU exited before the gateway listened"
        if LISTENING in line:
            return None


def browse(args, port):
    """Runs the browser; ({row: [values]}, [errors])."""
    env = dict(os.environ, WEB_PORT=str(port), WEB_CERT=args.cert,
               NODE_PATH=args.node_path,
               BENCH_LOGINS=str(LOGINS_QUICK if args.quick else LOGINS_FULL),
               BENCH_KEYS=str(KEYS_QUICK if args.quick else KEYS_FULL))
    try:
        p = subprocess.run([args.node, SCRIPT], env=env,
                           capture_output=True, timeout=BROWSER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {}, [f"the browser run passed {BROWSER_TIMEOUT_S} s"]
    out = p.stdout.decode("utf-8", "replace")
    result = [ln[len("result: "):] for ln in out.splitlines()
              if ln.startswith("result: ")]
    if p.returncode != 0 or len(result) != 1:
        why = [ln for ln in out.splitlines() if ln.startswith("FAILED: ")]
        err = p.stderr.decode("utf-8", "replace").strip()[-500:]
        return {}, [f"the browser run failed (exit {p.returncode}): "
                    f"{why[0] if why else out.strip()[-500:]} {err}"]
    try:
        got = json.loads(result[0])
        values = {row: [float(v) for v in got[RESULT_KEYS[row]]]
                  for row in WEBSHELL_ROWS}
    except (ValueError, KeyError, TypeError) as e:
        return {}, [f"the browser's result is malformed: {e}"]
    bad = [f"{row.capos}: {v}" for row, vals in values.items() for v in vals
           if not v > 0]
    return values, [f"not a positive time: {b}" for b in bad]


def run_capos(args, accel, cpu, log):
    run = guest.Run("capos")
    port = guest.free_port()
    cmd = guest.qemu_command(args.qemu, accel, cpu, args.capos_kernel,
                             args.capos_initrd, args.capos_append, port,
                             forwards=[(port, HTTPS_PORT)])
    con = Console(cmd, log)
    run.values = {}
    try:
        err = wait_listening(con, time.monotonic() + args.timeout)
        if err is not None:
            run.errors.append(err)
        else:
            run.started = True
            run.values, errors = browse(args, port)
            run.errors += errors
            run.ended = not errors
        if con.proc.poll() is not None:
            run.errors.append("QEMU exited during the run (see the log)")
    finally:
        run.exit_status = con.stop(0)
    for row, vals in run.values.items():
        if vals:
            run.rows[row.capos] = statistics.median(vals)
            run.iters[row.capos] = len(vals)
    return run


def print_table(summary, meta):
    print()
    print(f"make bench-webshell: capOS's web shell in chromium, accelerator "
          f"{meta['accelerator']}, QEMU -machine q35 -cpu {meta['cpu']} "
          f"-m {guest.MEMORY}, {meta['runs']} run(s)")
    if meta["accelerator"] == "tcg":
        print("*** TCG is software emulation: these figures say little "
              "about a real machine. ***")
    print("No Linux counterpart: absolute times. Each run's figure is the "
          "median of its samples; the table gives the median over runs, "
          "± half the run-to-run range relative to it, and the lowest and "
          "highest run.")
    print()
    head = (f"{'capOS row':28} {'unit':5} {'median':>8} {'':6} "
            f"{'runs min':>9} {'runs max':>9} {'samples/run':>12}")
    print(head)
    print("-" * len(head))
    for row in summary:
        s = row["capos"]
        if s is None:
            print(f"{row['capos_key']:28} {row['unit']:5} {'-':>8} failed")
            continue
        med, spread = harness.fmt_side(s, "failed")
        print(f"{row['capos_key']:28} {row['unit']:5} {med:>8} {spread:6} "
              f"{harness.fmt(s['min']):>9} {harness.fmt(s['max']):>9} "
              f"{row['samples_per_run']:>12}")
    print()


def main():
    args = parse_args()
    accel = args.accel
    if accel == "auto":
        accel = "kvm" if guest.kvm_usable() else "tcg"
    cpu = args.cpu or ("host" if accel == "kvm" else "max")
    os.makedirs(args.logdir, exist_ok=True)
    runs = []
    for i in range(1, args.runs + 1):
        log = os.path.join(args.logdir, f"{accel}-webshell-capos-{i}.log")
        t0 = time.monotonic()
        run = run_capos(args, accel, cpu, log)
        shown = "; ".join(
            f"{row.capos}: " + " ".join(f"{v:.1f}" for v in vals)
            for row, vals in run.values.items()) or "nothing"
        print(f"bench-webshell: {accel} capos run {i}/{args.runs}: "
              f"{time.monotonic() - t0:.1f} s, {shown}, "
              f"{len(run.errors)} errors (log {log})", file=sys.stderr)
        runs.append(run)

    logins = LOGINS_QUICK if args.quick else LOGINS_FULL
    keys = KEYS_QUICK if args.quick else KEYS_FULL
    per_run = {LOGIN: logins, ECHO: logins * keys}
    summary = [{"capos_key": row.capos, "linux_key": None,
                "unit": row.unit,
                "capos": harness.stats([r.rows[row.capos] for r in runs
                                        if row.capos in r.rows]),
                "linux": None, "ratio": None,
                "samples_per_run": per_run[row]}
               for row in WEBSHELL_ROWS]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"),
            "host": harness.host_info(args.qemu), "accelerator": accel,
            "comparable": False, "cpu": cpu, "runs": args.runs,
            "quick": args.quick, "logins_per_run": logins,
            "keys_per_login": keys}
    print_table(summary, meta)
    errors = [(i + 1, e) for i, run in enumerate(runs) for e in run.errors]
    for i, e in errors:
        print(f"capos run {i}: {e}")
    result = dict(meta, rows=summary, guests={"capos": {
        "kernel": args.capos_kernel, "initrd": args.capos_initrd,
        "append": args.capos_append,
        "runs": [dict(r.as_json(), values={
            row.capos: vals for row, vals in r.values.items()})
            for r in runs]}})
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.json)
    print(f"bench-webshell: wrote {args.json}")
    complete = all(s["capos"] for s in summary)
    return 1 if errors or not complete else 0


if __name__ == "__main__":
    sys.exit(main())
