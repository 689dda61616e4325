#!/usr/bin/env python3
"""Run each named test suite (`make test-<name>`) and add up the results.

Every suite ends its output with a line "N passed, N failed". A suite that
exits non-zero, or that never prints that line, counts as one more failure,
so a crashed runner can never look like a green one.
"""
import re
import subprocess
import sys

LINE = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed")


def run_suite(name):
    proc = subprocess.Popen(["make", "--no-print-directory", "-s", "test-" + name],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    last = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = LINE.match(line.strip())
        if m:
            last = (int(m.group(1)), int(m.group(2)))
    status = proc.wait()
    if last is None:
        print(f"suite {name}: no result line (exit status {status})")
        return 0, 1
    passed, failed = last
    if status != 0 and failed == 0:
        print(f"suite {name}: exit status {status} with no failure counted")
        failed = 1
    return passed, failed


def main():
    total_passed = total_failed = 0
    for name in sys.argv[1:]:
        print(f"== suite {name}")
        passed, failed = run_suite(name)
        total_passed += passed
        total_failed += failed
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed or not sys.argv[1:] else 0


if __name__ == "__main__":
    sys.exit(main())
