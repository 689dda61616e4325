#!/usr/bin/env python3
"""make bench-telnet: the telnet login row, capOS against Linux.

Boots the capOS Telnet system (system/telnet.capnp: telnet-gateway on
guest port 23) and the Linux baseline guest with bench_telnetd=1 (busybox
telnetd with login on port 23) alternately, in the QEMU configuration of
`make bench` with a forward from a free port on the host's 127.0.0.1 to
guest port 23, and times logins with the same client
(bench/telnetclient.py). Prints one table in `make bench`'s format and
writes the same as JSON. docs/benchmarks.md, "The telnet login row".
"""
import argparse
import datetime
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guest  # noqa: E402
import harness  # noqa: E402
import netclient  # noqa: E402
import protocol  # noqa: E402
import telnetclient  # noqa: E402
from rows import TELNET_ROWS  # noqa: E402

TELNET_PORT = 23
LINUX_APPEND = harness.LINUX_APPEND + " bench_telnetd=1"
# The development account both guests hold, NOT FOR PRODUCTION: capOS's
# in system/telnet.capnp, Linux's written by bench/linux/mkinitramfs.py.
USER = "admin"
PASSWORD = "capos-dev"
# Timed logins per boot, each alone; one untimed login comes first.
LOGINS_FULL = 7
LOGINS_QUICK = 1

ROW = TELNET_ROWS[0]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux-kernel", required=True)
    ap.add_argument("--linux-initrd", required=True)
    ap.add_argument("--capos-kernel", required=True)
    ap.add_argument("--capos-initrd", required=True)
    ap.add_argument("--capos-append", default="")
    ap.add_argument("--accel", choices=("auto", "kvm", "tcg"),
                    default="auto")
    ap.add_argument("--cpu")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--runs", type=harness.positive, default=5)
    ap.add_argument("--quick", action="store_true",
                    help=f"{LOGINS_QUICK} timed login per boot")
    ap.add_argument("--timeout", type=harness.positive, default=300,
                    help="seconds one boot may take")
    ap.add_argument("--json", required=True)
    ap.add_argument("--logdir", required=True)
    return ap.parse_args()


class Console:
    """QEMU's serial console, logged to a file and read by a thread."""

    def __init__(self, cmd, log_path):
        self.log = open(log_path, "w")
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(
            target=guest._reader, args=(self.proc.stdout, self.log,
                                        self.lines), daemon=True)
        self.reader.start()

    def stop(self, grace_s):
        try:
            status = self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                status = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                status = self.proc.wait()
        self.reader.join(timeout=5)
        self.log.close()
        return status


def logins(port, side, count, deadline):
    """One untimed login that waits out the boot, then count timed ones.
    Returns ([ms], [errors])."""
    err = telnetclient.wait_ready(port, side, USER, PASSWORD, deadline)
    if err is not None:
        return [], [f"no login succeeded before the deadline: {err}"]
    return telnetclient.measure(port, side, USER, PASSWORD, count)


def record(run, values):
    if values:
        key = ROW.capos if run.side == "capos" else ROW.linux
        run.rows[key] = statistics.median(values)
        run.iters[key] = len(values)
    run.values = values


def run_capos(args, accel, cpu, count, log):
    """capOS prints no [bench] lines here: the gateway answering a login is
    its sign of life, and QEMU is ended after the last login."""
    run = guest.Run("capos")
    port = guest.free_port()
    cmd = guest.qemu_command(args.qemu, accel, cpu, args.capos_kernel,
                             args.capos_initrd, args.capos_append, port,
                             forwards=[(port, TELNET_PORT)])
    con = Console(cmd, log)
    try:
        values, errors = logins(port, telnetclient.CAPOS, count,
                                time.monotonic() + args.timeout)
        run.started = bool(values)
        run.ended = run.started
        run.errors += errors
        if con.proc.poll() is not None:
            run.errors.append("QEMU exited during the run (see the log)")
    finally:
        run.exit_status = con.stop(0)
    record(run, values)
    return run


def run_linux(args, accel, cpu, count, log):
    """Follows the guest's [bench] lines: at `net port=5001` telnetd is up;
    after the logins the TCP bench server's stop command ends the guest."""
    run = guest.Run("linux")
    tel, ctl = guest.free_port(), guest.free_port()
    append = LINUX_APPEND + (" " + harness.QUICK_FLAG if args.quick else "")
    cmd = guest.qemu_command(args.qemu, accel, cpu, args.linux_kernel,
                             args.linux_initrd, append, ctl,
                             forwards=[(tel, TELNET_PORT),
                                       (ctl, guest.GUEST_NET_PORT)])
    con = Console(cmd, log)
    deadline = time.monotonic() + args.timeout
    values = []
    try:
        while not run.ended:
            try:
                _, line = con.lines.get(
                    timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                run.errors.append(f"timed out after {args.timeout} s")
                break
            if line is None:
                run.errors.append("QEMU exited before [bench] end")
                break
            try:
                msg = protocol.parse(line)
            except protocol.ProtocolError as e:
                run.errors.append(str(e))
                continue
            if msg is None:
                continue
            if msg[0] == "start":
                run.started = True
            elif msg[0] == "error":
                run.errors.append("guest: " + msg[1])
            elif msg[0] == "end":
                run.ended = True
            elif msg[0] == "net":
                values, errors = logins(tel, telnetclient.LINUX, count,
                                        deadline)
                run.errors += errors
                try:
                    netclient.quit_server(ctl)
                except OSError as e:
                    run.errors.append(f"telling the guest to stop: {e}")
            elif msg[0] == "row" and msg[1] != "boot_to_init":
                # /init prints boot_to_init before it reads its
                # command line; no other row belongs to this mode.
                run.errors.append(f"unexpected row {msg[1]} under "
                                  "bench_telnetd=1")
    finally:
        run.exit_status = con.stop(15 if run.ended else 1)
    record(run, values)
    return run


def main():
    args = parse_args()
    accel = args.accel
    if accel == "auto":
        accel = "kvm" if guest.kvm_usable() else "tcg"
    cpu = args.cpu or ("host" if accel == "kvm" else "max")
    count = LOGINS_QUICK if args.quick else LOGINS_FULL
    os.makedirs(args.logdir, exist_ok=True)
    runs = {"linux": [], "capos": []}
    for i in range(1, args.runs + 1):
        for side, fn in (("linux", run_linux), ("capos", run_capos)):
            log = os.path.join(args.logdir, f"{accel}-telnet-{side}-{i}.log")
            t0 = time.monotonic()
            run = fn(args, accel, cpu, count, log)
            print(f"bench-telnet: {accel} {side} run {i}/{args.runs}: "
                  f"{time.monotonic() - t0:.1f} s, logins (ms) "
                  f"{' '.join(f'{v:.1f}' for v in run.values) or 'none'}, "
                  f"{len(run.errors)} errors (log {log})", file=sys.stderr)
            runs[side].append(run)

    cap = harness.stats([r.rows[ROW.capos] for r in runs["capos"]
                         if ROW.capos in r.rows])
    lin = harness.stats([r.rows[ROW.linux] for r in runs["linux"]
                         if ROW.linux in r.rows])
    ratio = None
    if cap and lin and cap["median"] > 0 and lin["median"] > 0:
        ratio = cap["median"] / lin["median"]
    summary = [{"capos_key": ROW.capos, "linux_key": ROW.linux,
                "unit": ROW.unit, "capos": cap, "linux": lin,
                "ratio": ratio}]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"),
            "host": harness.host_info(args.qemu), "accelerator": accel,
            "comparable": accel == "kvm", "cpu": cpu, "runs": args.runs,
            "quick": args.quick, "kvm_fallback": None,
            "logins_per_run": count}
    harness.print_table(summary, meta, title="make bench-telnet")
    print(f"Each run's figure is the median of its {count} timed login(s) "
          "after one untimed.")
    errors = [(side, i + 1, e) for side in runs
              for i, run in enumerate(runs[side]) for e in run.errors]
    for side, i, e in errors:
        print(f"{side} run {i}: {e}")

    def side_json(side, kernel, initrd, append):
        return {"kernel": kernel, "initrd": initrd, "append": append,
                "runs": [dict(r.as_json(), logins_ms=r.values)
                         for r in runs[side]]}

    result = dict(meta, rows=summary, guests={
        "linux": side_json("linux", args.linux_kernel, args.linux_initrd,
                           LINUX_APPEND),
        "capos": side_json("capos", args.capos_kernel, args.capos_initrd,
                           args.capos_append)})
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.json)
    print(f"bench-telnet: wrote {args.json}")
    return 1 if errors or not (cap and lin) else 0


if __name__ == "__main__":
    sys.exit(main())
