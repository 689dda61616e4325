"""Boot foundation: both boot paths reach the proof line and halt cleanly;
a kernel fault produces a readable dump and the panic status."""
from harness import (EXIT_CLEAN, EXIT_PANIC, Console, boot, case, default_nic,
                     debug_iso_image, expect, expect_line, expect_no_line,
                     expect_status, kernel_image)


def check_clean_boot(run, proto):
    expect_status(run, EXIT_CLEAN)
    banner = expect_line(run, "capOS ")
    expect(run, f"booted via {proto}" in banner,
           f"banner names the wrong boot path: {banner!r}")
    mem = expect_line(run, "memory: ")
    expect(run, int(mem.split()[1]) >= 200,
           f"memory size looks wrong for -m 256M: {mem!r}")
    expect_line(run, "[proof] timer ok ticks=")
    expect_line(run, "[proof] boot ok")
    expect_no_line(run, "panic")


@case
def pvh_boot_reaches_boot_ok():
    run = boot(kernel=kernel_image(), append="loglevel=debug", timeout=30)
    check_clean_boot(run, "PVH")


@case
def pvh_boot_passes_cmdline():
    run = boot(kernel=kernel_image(), append="quiet answer=42 loglevel=debug",
               timeout=30)
    check_clean_boot(run, "PVH")
    expect_line(run, "cmdline: quiet answer=42 loglevel=debug")
    expect_line(run, "no boot package: nothing to run")


@case
def random_module_is_refused_as_boot_package():
    run = boot(kernel=kernel_image(), initrd="tests/qemu/fixtures/module.bin",
               append="loglevel=debug", timeout=30)
    expect_status(run, EXIT_PANIC)
    mod = expect_line(run, "module 0:")
    expect(run, mod.endswith(" 4096 bytes"),
           f"module size not reported as 4096 bytes: {mod!r}")
    expect_line(run, "panic: boot: boot package rejected: ")
    expect_no_line(run, "[init]")


@case
def grub_iso_boot_runs_the_default_system():
    # The default system is the shell: log in and shut down, as a person
    # at the console would. The ISO used has loglevel=debug on GRUB's
    # command line, so the kernel's debug lines are there to check.
    con = Console(iso=debug_iso_image(), extra=default_nic()[1], timeout=120)
    con.wait_for("capos> ")
    con.send("login\r")
    con.wait_for("username> ")
    con.send("admin\r")
    con.wait_for("password> ")
    con.send("capos-dev\r")
    con.wait_for("admin@capos> ")
    con.send("shutdown\r")
    run = con.finish()
    check_clean_boot(run, "Multiboot2")
    mod = expect_line(run, "module 0: default.pkg at ")
    expect(run, mod.endswith(" bytes"), f"module line: {mod!r}")
    expect_line(run, "[proof] init ok services=11")
    expect_line(run, "init exited with status 0; halting")


@case
def kernel_page_fault_dumps_and_panics():
    run = boot(kernel=kernel_image(), append="test=fault loglevel=debug", timeout=30)
    expect_status(run, EXIT_PANIC)
    expect_line(run, "exception 14 (page fault) in kernel mode")
    expect_line(run, "fault address 0000000000000008 (not present, read")
    expect_line(run, "  rip ffffffff8")
    expect_line(run, "  rax ")
    expect_line(run, "panic: unhandled page fault at ffffffff8")
    expect_no_line(run, "[proof] boot ok")


@case
def kernel_invalid_opcode_dumps_and_panics():
    run = boot(kernel=kernel_image(), append="test=ud loglevel=debug", timeout=30)
    expect_status(run, EXIT_PANIC)
    expect_line(run, "exception 6 (invalid opcode) in kernel mode")
    expect_line(run, "panic: unhandled invalid opcode")
    expect_no_line(run, "[proof] boot ok")
