"""The kernel's memory accounting and teardown under a hostile process:
kmemtest (tests/programs/kmemtest) attacks each path where a process could make
the kernel allocate without limit or keep objects alive, and proves each
defence with its own line; the kernel's shutdown leak check then shows
that 500k mint/release and 10k spawn/exit cycles left nothing behind."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect_line,
                     expect_no_line, expect_status, kernel_image)


def package(name):
    return os.path.join(BUILD, f"{name}.pkg")


@case
def kmem_system_limits_and_reclaims_what_a_hostile_process_causes():
    run = boot(kernel=kernel_image(), initrd=package("kmem"), timeout=300)
    expect_status(run, EXIT_CLEAN)
    # Each proof line is printed by kmemtest after its own checks.
    for proof in ("kmem-notices", "kmem-owners", "kmem-cancel", "kmem-recv",
                  "kmem-spawn", "kmem-threads", "kmem-handles", "kmem-kill",
                  "kmem-slots"):
        expect_line(run, f"[proof] {proof} ok")
    expect_line(run, "[proof] kmem-soak ok: 500000 mint/release and 10000 "
                     "spawn/exit cycles done")
    expect_line(run, "kmemtest: 79 checks, 0 failed")
    # A spawn that was refused never ran its child.
    expect_no_line(run, "a refused spawn ran its child")
    # Printed by the kernel after every process is gone, only when the
    # free frames and heap bytes are what they were before init started.
    expect_line(run, "[proof] no-leak ok")
    expect_no_line(run, "panic")


@case
def kmem_out_of_physical_memory_is_an_ordinary_error():
    # 48 MiB: less than the VirtualMemory quota, so the frames run out.
    run = boot(kernel=kernel_image(), initrd=package("oom"),
               extra=["-m", "48M"], timeout=120)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "memory: 4")    # the banner: the small machine booted
    expect_line(run, "[proof] kmem-oom ok")
    expect_line(run, "kmemtest: 8 checks, 0 failed")
    expect_line(run, "[proof] no-leak ok")
    expect_no_line(run, "panic")
