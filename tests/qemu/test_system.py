"""The default system: the kernel starts init from the boot package, init
starts the manifest's services with their grants, and everything halts
cleanly once they end."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)


def package(name):
    return os.path.join(BUILD, f"{name}.pkg")


@case
def default_system_runs_init_and_hello():
    run = boot(kernel=kernel_image(), initrd=package("default"), timeout=30)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] boot ok")
    expect_line(run, "[init] started hello")
    expect_line(run, "[proof] init ok services=1")
    hello = expect_line(run, "hello: hello, world from hello")
    expect(run, "holding 1 capability" in hello,
           f"hello should hold exactly its console: {hello!r}")
    expect_line(run, "[init] hello exited with status 0")
    expect_line(run, "init exited with status 0; halting")
    expect_no_line(run, "panic")
    lines = run.lines()
    order = [next(i for i, l in enumerate(lines) if t in l) for t in
             ("[proof] boot ok", "[init] started hello",
              "hello: hello, world", "[init] hello exited")]
    expect(run, order == sorted(order), f"events out of order: {order}")


@case
def isolation_system_contains_hostile_and_faulting_services():
    run = boot(kernel=kernel_image(), initrd=package("isolation"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] init ok services=6")
    # Each proof line is printed by the service after its own checks.
    expect_line(run, "[proof] ring-hostile ok checks=")
    expect_line(run, "ringtest: 28 checks, 0 failed")
    expect_line(run, "[proof] no-ambient-authority ok attempts=516")
    # Faulting processes are killed and reported; the kernel goes on.
    expect_line(run, "process 4 (crash) faulted: vector 14")
    expect_line(run, "[init] crash-null faulted: page fault at ip 0x4")
    expect_line(run, "[init] crash-priv faulted: general protection fault")
    expect_line(run, "[proof] vm ok checks=")
    for name in ("ringtest", "noauth", "memtest", "hello"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_line(run, "init exited with status 0; halting")
    expect_no_line(run, "panic")
    expect_no_line(run, "exception")
