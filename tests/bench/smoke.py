#!/usr/bin/env python3
"""make bench-smoke: keep the benchmark harness from rotting.

Checks the guest line protocol on good and bad input, then runs the harness
command given after "--" (few iterations, TCG) and checks what it produced:
the Linux guest booted and finished, every Linux row has a positive figure,
the capOS guest (when it ran) finished and its figures are positive, no
capOS figure appears without a capOS run, and the JSON is well formed.
Timings are never asserted. Ends with "N passed, N failed".

Usage: smoke.py --json RESULT.json -- HARNESS COMMAND...
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))

import guest  # noqa: E402
import harness  # noqa: E402
import protocol  # noqa: E402
from rows import ROWS, UNIT_OF  # noqa: E402

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
    check("JSON written and well formed",
          isinstance(result.get("rows"), list)
          and len(result["rows"]) == len(ROWS), "rows missing")
    check("JSON says tcg, not comparable",
          result.get("accelerator") == "tcg"
          and result.get("comparable") is False)
    runs = result["guests"]["linux"]["runs"]
    check("the Linux guest booted and reached [bench] end",
          len(runs) == 1 and runs[0]["started"] and runs[0]["ended"],
          runs and runs[0]["errors"])
    check("the Linux guest reported its TSC frequency",
          len(runs) == 1 and (runs[0]["tsc_hz"] or 0) > 0)
    figures = {r["linux_key"]: r["linux"] for r in result["rows"]}
    for key in UNIT_OF["linux"]:
        s = figures.get(key)
        check(f"Linux row {key} has a positive figure",
              s is not None and s["median"] > 0, s)
    capos = result["guests"]["capos"]
    if capos["skipped"]:
        invented = [r["capos_key"] for r in result["rows"] if r["capos"]]
        check("no capOS figure without a capOS run", not invented, invented)
        return
    check("the capOS guest booted and reached [bench] end",
          len(capos["runs"]) == 1 and capos["runs"][0]["started"]
          and capos["runs"][0]["ended"],
          capos["runs"] and capos["runs"][0]["errors"])
    bad = [(r["capos_key"], r["capos"]["median"]) for r in result["rows"]
           if r["capos"] and not r["capos"]["median"] > 0]
    check("every capOS figure printed is positive", not bad, bad)


def main():
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != "--json" or args[2] != "--":
        sys.exit(__doc__.strip().splitlines()[-1])
    check_protocol()
    check_summary()
    check_run(args[1], args[3:])
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
