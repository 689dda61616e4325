#!/usr/bin/env python3
"""make bench-ssh: the SSH rows, capOS against Linux.

Boots the capOS SSH system (system/ssh.capnp: ssh-gateway on guest port
22) and the Linux baseline guest with bench_sshd=1 (Dropbear on port 22)
alternately, in the QEMU configuration of `make bench` with a forward
from a free port on the host's 127.0.0.1 to guest port 22, and measures
both with the same client (bench/sshclient.py): whole logins, and count's
output through the channel. Prints one table in `make bench`'s format and
writes the same as JSON. docs/benchmarks.md, "The SSH rows".
"""
import argparse
import datetime
import json
import os
import queue
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guest  # noqa: E402
import harness  # noqa: E402
import netclient  # noqa: E402
import protocol  # noqa: E402
import sshclient  # noqa: E402
from rows import SSH_ROWS  # noqa: E402
from telnet import Console  # noqa: E402

SSH_PORT = 22
LINUX_APPEND = harness.LINUX_APPEND + " bench_sshd=1"
# Per boot: one untimed login first (it waits out the boot), then the
# timed logins, each alone, then the timed streams.
LOGINS_FULL, LOGINS_QUICK = 7, 1
STREAMS_FULL, STREAMS_QUICK = 3, 1
STREAM_FULL, STREAM_QUICK = 4 << 20, 256 << 10

LOGIN, STREAM = SSH_ROWS


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux-kernel", required=True)
    ap.add_argument("--linux-initrd", required=True)
    ap.add_argument("--capos-kernel", required=True)
    ap.add_argument("--capos-initrd", required=True)
    ap.add_argument("--capos-append", default="loglevel=info")
    ap.add_argument("--key", required=True,
                    help="the private key both guests accept")
    ap.add_argument("--accel", choices=("auto", "kvm", "tcg"),
                    default="auto")
    ap.add_argument("--cpu")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--runs", type=harness.positive, default=5)
    ap.add_argument("--quick", action="store_true",
                    help=f"{LOGINS_QUICK} timed login and one "
                    f"{STREAM_QUICK >> 10} KiB stream per boot")
    ap.add_argument("--timeout", type=harness.positive, default=300,
                    help="seconds one boot may take")
    ap.add_argument("--json", required=True)
    ap.add_argument("--logdir", required=True)
    return ap.parse_args()


def measure(args, port, side, deadline):
    """The untimed login, retried until the server answers (QEMU's
    forward accepts before the guest listens), then the timed logins and
    streams. Returns ({row key: [values]}, [errors])."""
    err = None
    while time.monotonic() < deadline:
        try:
            sshclient.login_once(port, args.key)
            err = None
            break
        except sshclient.SshError as e:
            err = e
            time.sleep(1)
    else:
        err = err or "the boot took the whole deadline"
    if err is not None:
        return {}, [f"no login succeeded before the deadline: {err}"]
    logins = LOGINS_QUICK if args.quick else LOGINS_FULL
    streams = STREAMS_QUICK if args.quick else STREAMS_FULL
    size = STREAM_QUICK if args.quick else STREAM_FULL
    want = sshclient.count_stream(size)
    values = {LOGIN: [], STREAM: []}
    errors = []
    try:
        for _ in range(logins):
            values[LOGIN].append(sshclient.login_once(port, args.key))
        for _ in range(streams):
            values[STREAM].append(sshclient.stream_once(
                port, args.key, side, size, want))
    except sshclient.SshError as e:
        errors.append(str(e))
    return values, errors


def record(run, values):
    run.values = values
    for row, vals in values.items():
        if vals:
            key = row.capos if run.side == "capos" else row.linux
            run.rows[key] = statistics.median(vals)
            run.iters[key] = len(vals)


def run_capos(args, accel, cpu, log):
    """capOS prints no [bench] lines here: the gateway answering a login is
    its sign of life, and QEMU is ended after the last measurement."""
    run = guest.Run("capos")
    port = guest.free_port()
    cmd = guest.qemu_command(args.qemu, accel, cpu, args.capos_kernel,
                             args.capos_initrd, args.capos_append, port,
                             forwards=[(port, SSH_PORT)])
    con = Console(cmd, log)
    values = {}
    try:
        values, errors = measure(args, port, sshclient.CAPOS,
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


def run_linux(args, accel, cpu, log):
    """Follows the guest's [bench] lines: at `net port=5001` Dropbear is
    up; after the measurements the TCP bench server's stop command ends
    the guest."""
    run = guest.Run("linux")
    ssh, ctl = guest.free_port(), guest.free_port()
    append = LINUX_APPEND + (" " + harness.QUICK_FLAG if args.quick else "")
    cmd = guest.qemu_command(args.qemu, accel, cpu, args.linux_kernel,
                             args.linux_initrd, append, ctl,
                             forwards=[(ssh, SSH_PORT),
                                       (ctl, guest.GUEST_NET_PORT)])
    con = Console(cmd, log)
    deadline = time.monotonic() + args.timeout
    values = {}
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
                values, errors = measure(args, ssh, sshclient.LINUX,
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
                                  "bench_sshd=1")
    finally:
        run.exit_status = con.stop(15 if run.ended else 1)
    record(run, values)
    return run


def show(values):
    return "; ".join(f"{row.capos}: " + (" ".join(f"{v:.1f}" for v in vals)
                                         or "none")
                     for row, vals in values.items()) or "nothing"


def main():
    args = parse_args()
    accel = args.accel
    if accel == "auto":
        accel = "kvm" if guest.kvm_usable() else "tcg"
    cpu = args.cpu or ("host" if accel == "kvm" else "max")
    os.makedirs(args.logdir, exist_ok=True)
    runs = {"linux": [], "capos": []}
    for i in range(1, args.runs + 1):
        for side, fn in (("linux", run_linux), ("capos", run_capos)):
            log = os.path.join(args.logdir, f"{accel}-ssh-{side}-{i}.log")
            t0 = time.monotonic()
            run = fn(args, accel, cpu, log)
            print(f"bench-ssh: {accel} {side} run {i}/{args.runs}: "
                  f"{time.monotonic() - t0:.1f} s, {show(run.values)}, "
                  f"{len(run.errors)} errors (log {log})", file=sys.stderr)
            runs[side].append(run)

    summary = []
    for row in SSH_ROWS:
        cap = harness.stats([r.rows[row.capos] for r in runs["capos"]
                             if row.capos in r.rows])
        lin = harness.stats([r.rows[row.linux] for r in runs["linux"]
                             if row.linux in r.rows])
        ratio = None
        if cap and lin and cap["median"] > 0 and lin["median"] > 0:
            ratio = cap["median"] / lin["median"]
        summary.append({"capos_key": row.capos, "linux_key": row.linux,
                        "unit": row.unit, "capos": cap, "linux": lin,
                        "ratio": ratio})
    meta = {"date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"),
            "host": harness.host_info(args.qemu), "accelerator": accel,
            "comparable": accel == "kvm", "cpu": cpu, "runs": args.runs,
            "quick": args.quick, "kvm_fallback": None,
            "logins_per_run": LOGINS_QUICK if args.quick else LOGINS_FULL,
            "streams_per_run": STREAMS_QUICK if args.quick else STREAMS_FULL,
            "stream_bytes": STREAM_QUICK if args.quick else STREAM_FULL}
    harness.print_table(summary, meta, title="make bench-ssh")
    print(f"Each run's figure is the median of its {meta['logins_per_run']} "
          f"timed login(s) after one untimed, and of its "
          f"{meta['streams_per_run']} stream(s) of "
          f"{meta['stream_bytes'] >> 10} KiB.")
    errors = [(side, i + 1, e) for side in runs
              for i, run in enumerate(runs[side]) for e in run.errors]
    for side, i, e in errors:
        print(f"{side} run {i}: {e}")

    def side_json(side, kernel, initrd, append):
        return {"kernel": kernel, "initrd": initrd, "append": append,
                "runs": [dict(r.as_json(), values={
                    row.capos: vals for row, vals in r.values.items()})
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
    print(f"bench-ssh: wrote {args.json}")
    complete = all(s["capos"] and s["linux"] for s in summary)
    return 1 if errors or not complete else 0


if __name__ == "__main__":
    sys.exit(main())
