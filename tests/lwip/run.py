#!/usr/bin/env python3
"""The lwip suite: lwIP with the netstack's configuration.

1. build/u/liblwip.a (lwIP built freestanding for capOS userspace),
   linked with lib/c's user objects, must leave undefined exactly the
   functions that the port (services/netstack/arch) says the netstack
   program supplies: proof that lwIP needs nothing from a C library beyond
   lib/c.
2. The host runner (lwIP built for the host under ASan/UBSan, with the
   tests in tests/lwip) runs every test.

Every check prints "ok NAME" or "FAIL NAME"; the last line is
"N passed, N failed". A runner that crashes (an lwIP assertion aborts it,
a sanitizer stops it) counts as one more failure.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# What the netstack program must define for liblwip.a: the port of
# services/netstack/arch (cc.h, hooks.h) and lwIP's clock (lwip/sys.h).
PORT = {"sys_now", "capos_lwip_rand", "capos_lwip_assert",
        "capos_lwip_tcp_isn"}

SUMMARY = re.compile(r"^\d+ passed, \d+ failed$")

passed = failed = 0


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}".rstrip(": "))


def undefined_after_link(lib, objs):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "lwip-with-libc.o")
        subprocess.run(["ld", "-r", "-o", out, "--whole-archive", lib,
                        "--no-whole-archive"] + objs, check=True,
                       capture_output=True)
        nm = subprocess.run(["nm", "-u", out], check=True,
                            capture_output=True, text=True)
    return {line.split()[-1] for line in nm.stdout.splitlines() if line}


def check_freestanding(lib, objs):
    name = "liblwip_needs_only_lib_c_and_the_port"
    try:
        left = undefined_after_link(lib, objs)
    except (OSError, subprocess.CalledProcessError) as e:
        report(name, False, f"link failed: {e}")
        return
    extra, missing = left - PORT, PORT - left
    report(name, not extra and not missing,
           (f"undefined beyond the port: {sorted(extra)}" if extra else "")
           + (f" port functions lwIP no longer uses: {sorted(missing)}"
              if missing else ""))


def run_runner(runner):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
    proc = subprocess.Popen([runner], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors="replace", env=env)
    finished = False
    failures = 0
    for line in proc.stdout:
        word = line.split(" ", 1)[0]
        if word == "ok":
            report(line[4:].strip(), True)
        elif word == "FAIL":
            report(line[4:].strip(), False)
            failures += 1
        elif SUMMARY.match(line):
            finished = True
        else:
            sys.stdout.write(line)
    status = proc.wait()
    if not finished:
        report("lwip runner", False,
               f"died before its summary (exit status {status})")
    elif status != 0 and failures == 0:
        report("lwip runner", False, f"exit status {status}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("objs", nargs="+", help="lib/c objects built for capOS")
    args = ap.parse_args()
    check_freestanding(args.lib, args.objs)
    run_runner(args.runner)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
