"""Several CPUs: the MADT names them, each application processor starts
through the trampoline, reports in on its own per-CPU block and halts,
and the system above runs as on one CPU, with the shutdown leak check.
One CPU (-smp 1) still boots the same way."""
import os

from harness import (BUILD, EXIT_CLEAN, Console, boot, case,
                     debug_iso_image, expect, expect_line, expect_no_line,
                     expect_status, kernel_image)


def check_cpus(run, n):
    listed = expect_line(run, "acpi: RSDP at ")
    expect(run, f"{n} CPUs, apic ids" in listed,
           f"the MADT should list {n} CPUs: {listed!r}")
    for c in range(1, n):
        expect_line(run, f"cpu {c} online (apic id ")
    expect_no_line(run, f"cpu {n} online")
    expect_line(run, f"[proof] smp ok cpus={n} every AP read its MADT apic "
                "id and reached its own per-CPU block through GS")
    expect_no_line(run, "did not start")


@case
def smp4_every_cpu_comes_online_and_the_system_runs():
    # The chat demo halts by itself.
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "chat.pkg"), smp=4,
               append="loglevel=debug", timeout=90)
    expect_status(run, EXIT_CLEAN)
    check_cpus(run, 4)
    expect_line(run, "[proof] init ok services=5")
    expect_line(run, "[proof] no-leak ok frames=")


@case
def smp4_grub_finds_the_rsdp_in_multiboot2():
    # The ISO carries the default system: log in and shut it down.
    con = Console(iso=debug_iso_image(), smp=4, timeout=120)
    con.wait_for("capos> ")
    con.send("login\r")
    con.wait_for("username> ")
    con.send("admin\r")
    con.wait_for("password> ")
    con.send("capos-dev\r")
    con.wait_for("admin@capos> ")
    con.send("shutdown\r")
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "booted via Multiboot2")
    expect_line(run, "(from Multiboot2), 4 CPUs")
    check_cpus(run, 4)
    expect_line(run, "[proof] no-leak ok frames=")


@case
def smp1_boots_without_application_processors():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "chat.pkg"), smp=1,
               append="loglevel=debug", timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "1 CPU, apic ids 0")
    expect_no_line(run, "cpu 1 online")
    expect_no_line(run, "[proof] smp ok")
    expect_line(run, "[proof] init ok services=5")
    expect_line(run, "[proof] no-leak ok frames=")
