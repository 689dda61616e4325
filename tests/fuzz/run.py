#!/usr/bin/env python3
"""The fuzz suite: every file of tests/fuzz/corpus/<target>/ replayed
through its fuzz target, built under ASan/UBSan as a plain host program
(tests/fuzz/replay.c). Each file is one case: it passes when the target
returns for it and the process ends with status 0 and no sanitizer
report. All files of a target first run in one process, as libFuzzer
replays a corpus; when that fails, each file runs again in its own
process, so the report names the files that fail. A target without a
corpus folder, or with an empty one, fails.

Every case prints "ok NAME" or "FAIL NAME: why"; the last line is
"N passed, N failed".

    tests/fuzz/run.py --bindir build/tests/fuzz kernel_parsers capnp_reader
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
# A hang is a finding too; no corpus comes near this on any machine.
HANG_SECONDS = 60
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")

passed = failed = 0


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def replay(binary, paths):
    """Returns None when the inputs ran clean, else what went wrong."""
    try:
        p = subprocess.run([binary] + paths, capture_output=True, env=ENV,
                           timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        return f"no return within {HANG_SECONDS} s"
    err = p.stderr.decode(errors="replace")
    marks = [line.strip() for line in err.splitlines()
             if any(m in line for m in SANITIZER_MARKS)]
    if p.returncode != 0 or marks:
        first = marks[0] if marks else err.strip()[-300:]
        return f"exit status {p.returncode}: {first}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    for target in args.targets:
        binary = os.path.join(args.bindir, target)
        folder = os.path.join(CORPUS, target)
        files = sorted(f for f in os.listdir(folder)
                       if os.path.isfile(os.path.join(folder, f))) \
            if os.path.isdir(folder) else []
        if not files:
            report(target, False, f"no corpus in {folder}")
            continue
        paths = [os.path.join(folder, f) for f in files]
        if replay(binary, paths) is None:
            for f in files:
                report(f"{target}/{f}", True)
            continue
        for f, path in zip(files, paths):
            why = replay(binary, [path])
            report(f"{target}/{f}", why is None, why or "")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
