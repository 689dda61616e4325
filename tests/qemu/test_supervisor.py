"""init as a supervisor (docs/init.md, "Restarts"): a service with a
restart policy is started again after a failure with a growing back-off,
its endpoint outlives each instance so its client calls again on the same
capability, a call in flight when it crashed fails with disconnected, and
a service that keeps failing at once is given up; each restart comes after
at least its back-off, by init's own clock."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)


RESTARTING = re.compile(r"\[init\] (\S+): restarting in (\d+) ms ")
RESTARTED = re.compile(r"\[init\] restarted (\S+) \(waited (\d+) ms\)$")


def check_waited(run):
    """Each restart came after at least the back-off init announced for
    it, as init measured on its own clock (a lower bound only: a loaded
    machine makes the wait longer, never shorter)."""
    pending = {}
    restarts = 0
    for line in run.lines():
        m = RESTARTING.match(line)
        if m:
            pending[m.group(1)] = int(m.group(2))
            continue
        m = RESTARTED.match(line)
        if not m:
            continue
        name, waited = m.group(1), int(m.group(2))
        expect(run, name in pending,
               f"{name} restarted with no back-off announced: {line!r}")
        backoff = pending.pop(name)
        expect(run, waited >= backoff,
               f"{name} restarted after {waited} ms, before its "
               f"{backoff} ms back-off: {line!r}")
        restarts += 1
    expect(run, restarts >= 8,
           f"only {restarts} restarts reported how long init waited")


@case
def supervisor_restarts_with_backoff_and_gives_up():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "supervisor.pkg"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    # Printed by the client after its own checks.
    expect_line(run, "[proof] supervisor ok")
    expect_line(run, "[init] flaky faulted: page fault")
    # doomed: the back-off doubles at each quick failure, then init stops.
    backoffs = [l for l in run.lines()
                if l.startswith("[init] doomed: restarting in ")]
    expect(run, backoffs == [
        f"[init] doomed: restarting in {ms} ms (restart {n} of 5)"
        for n, ms in enumerate([50, 100, 200, 400, 800], start=1)],
        f"doomed's back-offs: {backoffs!r}")
    expect_line(run, "[init] doomed ended 6 times in a row within 10000 ms "
                     "of its start; giving up")
    expect(run, sum(l.startswith("[init] restarted flaky ")
                    for l in run.lines()) >= 3,
           "flaky was not restarted three times")
    check_waited(run)
    # flaky ends cleanly once its client is gone: no restart after that.
    expect_line(run, "[init] flaky exited with status 0")
    expect_line(run, "[init] all services have ended")
    expect_no_line(run, "panic")
