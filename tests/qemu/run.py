#!/usr/bin/env python3
"""Runs every QEMU case in tests/qemu/test_*.py (or those whose names
contain an argument) and ends with "N passed, N failed"."""
import importlib.util
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def load_cases():
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            path = os.path.join(HERE, name)
            spec = importlib.util.spec_from_file_location(name[:-3], path)
            module = importlib.util.module_from_spec(spec)
            # Known by name, so a case that imports another module's
            # cases (test_smp.py) does not load, and register, them twice.
            sys.modules[name[:-3]] = module
            spec.loader.exec_module(module)


def main():
    load_cases()
    filters = sys.argv[1:]
    passed = failed = 0
    for fn in harness.CASES:
        name = fn.__name__
        if filters and not any(f in name for f in filters):
            continue
        harness.RUNS.clear()
        try:
            fn()
            passed += 1
            secs = sum(r.seconds for r in harness.RUNS)
            print(f"ok   {name} ({secs:.1f}s)", flush=True)
        except Exception as e:  # a case's own bug counts as its failure
            failed += 1
            reason = str(e) if isinstance(e, harness.CaseFailed) else \
                traceback.format_exc()
            print(f"FAIL {name}: {reason}", flush=True)
            for i, run in enumerate(harness.RUNS):
                print(f"---- serial log {i + 1} (status {run.status}) ----")
                print(run.log.rstrip())
                print("---- end of serial log ----", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
