#!/usr/bin/env python3
"""make bench: capOS and a Linux guest, side by side, in one run.

Boots the Linux baseline guest and (when its image is given) the capOS
bench image alternately, several times each, in the same QEMU
configuration; prints one table (row, capOS, Linux, ratio) and writes the
same as JSON. docs/benchmarks.md explains every row.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guest  # noqa: E402
from rows import (HIGHER_IS_BETTER, NET_SMP_ROWS, ROWS, SMP_ROWS,  # noqa: E402
                  TELNET_ROWS)

LINUX_APPEND = "console=ttyS0 quiet panic=-1"
QUICK_FLAG = "bench_quick=1"
# The Linux guest's switch to the -smp pass's rows (bench/linux/main.c);
# the capOS guest boots a system of its own for them instead.
SMP_FLAG = "bench_smp=1"
# Its switch to the TCP pass's rows: only the TCP rows, with the network.
NET_FLAG = "bench_net=1"

# TCP transfer size and connection count: full runs, then bench_quick.
NET_FULL = (64 << 20, 200)
NET_QUICK = (1 << 20, 10)


def positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return n


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux-kernel", required=True)
    ap.add_argument("--linux-initrd", required=True)
    ap.add_argument("--linux-info", help="JSON describing the Linux guest")
    ap.add_argument("--capos-kernel", default="")
    ap.add_argument("--capos-initrd", default="")
    ap.add_argument("--capos-append", default="")
    ap.add_argument("--telnet-capos-kernel", default="",
                    help="capOS kernel for the telnet login row")
    ap.add_argument("--telnet-capos-initrd", default="",
                    help="the capOS Telnet system for the telnet login row "
                         "(with --telnet-capos-kernel; without them the "
                         "row is not measured)")
    ap.add_argument("--capos-smp-initrd", default="",
                    help="boot package of the capOS -smp pass")
    ap.add_argument("--smp", type=int, default=0,
                    help="CPUs of the -smp pass (0: no such pass)")
    ap.add_argument("--capos-net-initrd", default="",
                    help="boot package of the capOS TCP pass")
    ap.add_argument("--net-smp", type=int, default=0,
                    help="CPUs of the TCP pass (0: no such pass)")
    ap.add_argument("--accel", choices=("auto", "kvm", "tcg"), default="auto")
    ap.add_argument("--cpu", default="",
                    help="QEMU -cpu for both guests (default: host under "
                         "KVM, max under TCG)")
    ap.add_argument("--runs", type=positive, default=5,
                    help="boots of each guest (default 5)")
    ap.add_argument("--timeout", type=positive,
                    help="seconds one boot may take (default 300, 120 with "
                         "--quick)")
    ap.add_argument("--quick", action="store_true",
                    help="few iterations: a check that everything works")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--json", required=True)
    ap.add_argument("--logdir", required=True)
    return ap.parse_args()


def capos_skip_reason(args):
    if not args.capos_kernel:
        return "no capOS bench image given (CAPOS_BENCH_KERNEL is empty)"
    for path in (args.capos_kernel, args.capos_initrd):
        if path and not os.path.isfile(path):
            return f"capOS bench image {path} does not exist"
    return None


def host_info(qemu):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([qemu, "--version"], capture_output=True,
                             text=True).stdout.splitlines()
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "qemu": version[0] if version else "unknown"}


def stats(values):
    if not values:
        return None
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "n": len(values), "values": values,
            "spread": (max(values) - min(values)) / med if med > 0 else None}


def summarize(runs, telnet_runs=None, table=ROWS):
    """One entry per row of table; a side with no figure stays None. The
    telnet login row's figures come from telnet_runs (boots of their
    own, bench/telnet.py), when given."""
    out = []
    rows = [(r, runs) for r in table]
    if telnet_runs is not None:
        rows += [(r, telnet_runs) for r in TELNET_ROWS]
    for r, src in rows:
        cap = stats([run.rows[r.capos] for run in src["capos"]
                     if r.capos in run.rows])
        lin = stats([run.rows[r.linux] for run in src["linux"]
                     if r.linux in run.rows])
        ratio = None
        if cap and lin and cap["median"] > 0 and lin["median"] > 0:
            ratio = cap["median"] / lin["median"]
        out.append({"capos_key": r.capos, "linux_key": r.linux,
                    "unit": r.unit, "capos": cap, "linux": lin,
                    "ratio": ratio})
    return out


def fmt(v):
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def fmt_side(s, absent):
    if s is None:
        return ("-", absent)
    if s["n"] < 2 or s["spread"] is None:
        return (fmt(s["median"]), "")
    spread = f"±{s['spread'] * 50:.0f}%"
    return (fmt(s["median"]), spread)


def print_table(summary, meta, title="make bench", smp=1):
    accel = meta["accelerator"]
    if accel == "tcg" and smp > 1:
        accel = "tcg (multi-threaded: one host thread per CPU)"
    print()
    print(f"{title}: capOS vs Linux, accelerator {accel}, "
          f"QEMU -machine q35 -cpu {meta['cpu']} -m {guest.MEMORY} "
          f"-smp {smp}, {meta['runs']} run(s) of each guest")
    if meta["accelerator"] == "tcg":
        print("*** TCG is software emulation: these figures are NOT "
              "meaningful for comparison. ***")
    print("Figures are medians over runs; ± is half the run-to-run range "
          "relative to the median.")
    print("ratio = capOS / Linux. Lower is better for cycles, us and ms "
          "(ratio < 1: capOS faster); higher is better for "
          + ", ".join(HIGHER_IS_BETTER) + " (ratio > 1: capOS faster).")
    print()
    head = (f"{'capOS row':28} {'Linux row':24} {'unit':7} "
            f"{'capOS':>10} {'':17} {'Linux':>10} {'':6} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for row in summary:
        cv, cs = fmt_side(row["capos"], "not yet measured")
        lv, ls = fmt_side(row["linux"], "failed")
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"{row['capos_key']:28} {row['linux_key']:24} {row['unit']:7} "
              f"{cv:>10} {cs:17} {lv:>10} {ls:6} {ratio:>6}")
    print()


def telnet_pair(args, accel, cpu, i, timeout, runs):
    """One boot of each guest for the telnet login row (bench/telnet.py):
    Linux with busybox telnetd, capOS with the Telnet system."""
    import telnet  # here: telnet.py imports this module at its top
    targs = argparse.Namespace(
        qemu=args.qemu, linux_kernel=args.linux_kernel,
        linux_initrd=args.linux_initrd,
        capos_kernel=args.telnet_capos_kernel,
        capos_initrd=args.telnet_capos_initrd, capos_append="",
        timeout=timeout, quick=args.quick)
    count = telnet.LOGINS_QUICK if args.quick else telnet.LOGINS_FULL
    for side, fn in (("linux", telnet.run_linux),
                     ("capos", telnet.run_capos)):
        log = os.path.join(args.logdir, f"{accel}-telnet-{side}-{i}.log")
        t0 = time.monotonic()
        run = fn(targs, accel, cpu, count, log)
        print(f"bench: {accel} telnet {side} run {i}/{args.runs}: "
              f"{time.monotonic() - t0:.1f} s, logins (ms) "
              f"{' '.join(f'{v:.1f}' for v in run.values) or 'none'}, "
              f"{len(run.errors)} errors (log {log})", file=sys.stderr)
        runs[side].append(run)


def run_all(args, accel, cpu, sides, timeout, smp=1, tag=None):
    """Boot the guests alternately, args.runs times each, with smp CPUs,
    and with a telnet system given (and one CPU), the telnet login row's
    pair after each round.
    Stops early when the first Linux boot fails: nothing after it could
    be compared. Returns (runs, telnet runs or None, why capOS was
    dropped or None)."""
    net_sizes = NET_QUICK if args.quick else NET_FULL
    sides = dict(sides)
    runs = {"linux": [], "capos": []}
    telnet_runs = {"linux": [], "capos": []} \
        if telnet_wanted(args) and smp == 1 else None
    dropped = None
    for i in range(1, args.runs + 1):
        for side, (kernel, initrd, cmdline) in list(sides.items()):
            port = guest.free_port()
            cmd = guest.qemu_command(args.qemu, accel, cpu, kernel, initrd,
                                     cmdline, port, smp=smp)
            name = side if smp == 1 else f"{tag or f'smp{smp}'}-{side}"
            log = os.path.join(args.logdir, f"{accel}-{name}-{i}.log")
            t0 = time.monotonic()
            run = guest.run_guest(side, cmd, port, net_sizes, timeout, log)
            print(f"bench: {accel} {name} run {i}/{args.runs}: "
                  f"{time.monotonic() - t0:.1f} s, {len(run.rows)} rows, "
                  f"{len(run.errors)} errors (log {log})", file=sys.stderr)
            if side == "capos" and i == 1 and not run.rows.keys() - {
                    "qemu_to_init"}:
                # An image without bench rows is skipped, not a failure.
                dropped = ("capOS run 1 printed no [bench] rows ("
                           + ("; ".join(run.errors) or "and no errors")
                           + f"; log {log})")
                del sides["capos"]
                continue
            runs[side].append(run)
            if side == "linux" and i == 1 and not run.started:
                return runs, telnet_runs, dropped
        if telnet_runs is not None:
            telnet_pair(args, accel, cpu, i, timeout, telnet_runs)
    return runs, telnet_runs, dropped


def net_pass(args, accel, cpu, timeout, skip, meta):
    """The TCP rows again with args.net_smp CPUs (docs/benchmarks.md, "The
    TCP rows with two CPUs"): capOS boots its network system alone, Linux
    its guest with bench_net=1. Returns the JSON member and the errors."""
    n = args.net_smp
    tag = f"net-smp{n}"
    quick = f" {QUICK_FLAG}" if args.quick else ""
    sides = {"linux": (args.linux_kernel, args.linux_initrd,
                       f"{LINUX_APPEND} {NET_FLAG}{quick}")}
    capos_skip = skip or (None if args.capos_net_initrd else
                          "no capOS TCP-pass image given")
    if capos_skip is None:
        sides["capos"] = (args.capos_kernel, args.capos_net_initrd,
                          f"{args.capos_append}{quick}".strip())
    runs, _, dropped = run_all(args, accel, cpu, sides, timeout, smp=n,
                               tag=tag)
    capos_skip = capos_skip or dropped
    summary = summarize(runs, table=NET_SMP_ROWS)
    print_table(summary, meta, f"make bench, the TCP pass at -smp {n}",
                smp=n)
    if capos_skip:
        print(f"capOS TCP pass: skipped: {capos_skip}")
    errors = [(f"{tag}-{side}", i + 1, e) for side in runs
              for i, run in enumerate(runs[side]) for e in run.errors]
    return ({"cpus": n, "tcg_thread": "multi" if accel == "tcg" else None,
             "rows": summary, "capos_skipped": capos_skip,
             "capos_initrd": args.capos_net_initrd,
             "runs": {side: [r.as_json() for r in runs[side]]
                      for side in runs}}, errors)


def telnet_wanted(args):
    return bool(args.telnet_capos_kernel and args.telnet_capos_initrd)


def main():
    args = parse_args()
    if args.accel == "auto":
        accel = "kvm" if guest.kvm_usable() else "tcg"
    else:
        accel = args.accel
    timeout = args.timeout or (120 if args.quick else 300)
    os.makedirs(args.logdir, exist_ok=True)

    def append(base):
        return f"{base} {QUICK_FLAG}".strip() if args.quick else base

    sides = {"linux": (args.linux_kernel, args.linux_initrd,
                       append(LINUX_APPEND))}
    skip = capos_skip_reason(args)
    if skip is None:
        sides["capos"] = (args.capos_kernel, args.capos_initrd,
                          append(args.capos_append))

    def default_cpu(accel):
        return args.cpu or ("host" if accel == "kvm" else "max")

    cpu = default_cpu(accel)
    runs, telnet_runs, dropped = run_all(args, accel, cpu, sides, timeout)
    fallback = None
    if args.accel == "auto" and accel == "kvm" and not runs["linux"][0].started:
        fallback = ("KVM could not run the Linux guest ("
                    + "; ".join(runs["linux"][0].errors)
                    + "), so both guests ran under TCG")
        print(f"bench: {fallback}", file=sys.stderr)
        accel = "tcg"
        cpu = default_cpu(accel)
        runs, telnet_runs, dropped = run_all(args, accel, cpu, sides,
                                             timeout)
    skip = skip or dropped

    meta = {"date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"),
            "host": host_info(args.qemu), "accelerator": accel,
            "comparable": accel == "kvm", "cpu": cpu, "runs": args.runs,
            "quick": args.quick, "kvm_fallback": fallback}
    summary = summarize(runs, telnet_runs)
    print_table(summary, meta)
    if telnet_runs is not None:
        import telnet
        count = telnet.LOGINS_QUICK if args.quick else telnet.LOGINS_FULL
        print(f"{TELNET_ROWS[0].capos}: boots of their own, each figure "
              f"the median of {count} timed login(s) after one untimed "
              "(docs/benchmarks.md).")

    for side in ("capos", "linux"):
        hz = [r.tsc_hz for r in runs[side] if r.tsc_hz]
        if hz:
            print(f"TSC frequency reported by {side}: "
                  f"{statistics.median(hz) / 1e6:.1f} MHz")
    if fallback:
        print(f"accelerator: {fallback}")
    if skip:
        print(f"capOS: skipped: {skip}")
    errors = [(side, i + 1, e) for side in runs
              for i, run in enumerate(runs[side]) for e in run.errors]
    if telnet_runs is not None:
        errors += [(f"telnet {side}", i + 1, e) for side in telnet_runs
                   for i, run in enumerate(telnet_runs[side])
                   for e in run.errors]

    smp = None
    if args.smp > 1 and runs["linux"] and runs["linux"][0].started:
        smp_sides = {"linux": (args.linux_kernel, args.linux_initrd,
                               append(f"{LINUX_APPEND} {SMP_FLAG}"))}
        smp_skip = skip or (None if args.capos_smp_initrd else
                            "no capOS -smp bench image given")
        if smp_skip is None:
            smp_sides["capos"] = (args.capos_kernel, args.capos_smp_initrd,
                                  append(args.capos_append))
        smp_runs, _, dropped = run_all(args, accel, cpu, smp_sides,
                                       timeout, smp=args.smp)
        smp_skip = smp_skip or dropped
        smp_summary = summarize(smp_runs, table=SMP_ROWS)
        print_table(smp_summary, meta, f"make bench, the -smp {args.smp} "
                    "pass", smp=args.smp)
        if smp_skip:
            print(f"capOS -smp {args.smp}: skipped: {smp_skip}")
        errors += [(f"smp{args.smp}-{side}", i + 1, e) for side in smp_runs
                   for i, run in enumerate(smp_runs[side])
                   for e in run.errors]
        smp = {"cpus": args.smp,
               "tcg_thread": "multi" if accel == "tcg" else None,
               "rows": smp_summary, "capos_skipped": smp_skip,
               "capos_initrd": args.capos_smp_initrd,
               "runs": {side: [r.as_json() for r in smp_runs[side]]
                        for side in smp_runs}}
    net = None
    if args.net_smp > 1 and runs["linux"] and runs["linux"][0].started:
        net, net_errors = net_pass(args, accel, cpu, timeout, skip, meta)
        errors += net_errors
    for side, i, e in errors:
        print(f"{side} run {i}: {e}")

    info = None
    if args.linux_info:
        with open(args.linux_info) as f:
            info = json.load(f)
    result = dict(meta, rows=summary, guests={
        "linux": {"kernel": args.linux_kernel, "initrd": args.linux_initrd,
                  "append": sides["linux"][2], "info": info,
                  "runs": [r.as_json() for r in runs["linux"]]},
        "capos": {"kernel": args.capos_kernel, "initrd": args.capos_initrd,
                  "append": args.capos_append, "skipped": skip,
                  "runs": [r.as_json() for r in runs["capos"]]}},
        smp=smp, net_smp=net)
    if telnet_runs is not None:
        result["guests"]["telnet"] = {
            side: {"kernel": k, "initrd": rd,
                   "runs": [dict(r.as_json(), logins_ms=r.values)
                            for r in telnet_runs[side]]}
            for side, k, rd in (
                ("linux", args.linux_kernel, args.linux_initrd),
                ("capos", args.telnet_capos_kernel,
                 args.telnet_capos_initrd))}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.json)
    print(f"bench: wrote {args.json}")
    return 1 if errors or not any(r.rows for r in runs["linux"]) else 0


if __name__ == "__main__":
    sys.exit(main())
