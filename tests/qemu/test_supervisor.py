"""init as a supervisor (docs/init.md, "Restarts"): a service with a
restart policy is started again after a failure with a growing back-off,
its endpoint outlives each instance so its client calls again on the same
capability, a call in flight when it crashed fails with disconnected, and
a service that keeps failing at once is given up."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)


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
    expect(run, sum(l == "[init] restarted flaky" for l in run.lines()) >= 3,
           "flaky was not restarted three times")
    # flaky ends cleanly once its client is gone: no restart after that.
    expect_line(run, "[init] flaky exited with status 0")
    expect_line(run, "[init] all services have ended")
    expect_no_line(run, "panic")
