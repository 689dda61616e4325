"""Log levels (docs/boot.md, "Log levels"): the systems users boot (make
run, make run-chat) are quiet at info, with no test output, hardware
inventory or timer figures, and every line carries at most one prefix;
the same system at debug shows all of it; a level the kernel does not
know is reported and replaced, never fatal."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, CaseFailed, Console, boot, case,
                     default_nic, expect, expect_line, expect_no_line,
                     expect_status, iso_image, kernel_image)
from test_shell import Shell

# Lines that belong to debug: test output, the kernel's hardware
# inventory and timer calibration, and init's per-service reports.
DEBUG_LINE = re.compile(r"^(\[proof\]|pci |timer: |acpi: |frames: |cpu \d+ "
                        r"online|module \d+: |cmdline: |log: level |"
                        r"\[init\] started )")
# One leading prefix: "[name] " or "name: ".
PREFIX = re.compile(r"^(\[[\w-]+\]|[\w-]+:) ")


def second_prefix(line):
    """The second prefix of a line that carries two ("[netstack]
    netstack: up"): a bracketed tag after the first, or the first's name
    again; None when the line has at most one."""
    first = PREFIX.match(line)
    if first is None:
        return None
    second = PREFIX.match(line[first.end():])
    if second is None:
        return None
    if second.group(1).startswith("[") or \
            second.group(1).strip("[]:") == first.group(1).strip("[]:"):
        return second.group(1)
    return None


def expect_quiet(text, what):
    for line in text.splitlines():
        if DEBUG_LINE.match(line):
            raise CaseFailed(f"{what} at info prints a debug line: {line!r}")


def expect_one_prefix(text, what):
    for line in text.splitlines():
        p = second_prefix(line)
        if p is not None:
            raise CaseFailed(f"{what}: a line with two prefixes ({p!r} "
                             f"after the first): {line!r}")


def expect_alice_greeting(run):
    """The chat demo's members run at once (on every CPU), so whose
    message is #1 varies from boot to boot; the conversation does not."""
    expect(run, re.search(r"^\[chat\] #\d+ alice: hello from alice\r?$",
                          run.log, re.M) is not None,
           "alice's greeting is not on the console")


def boot_to_prompt_and_shut_down(what, ready=(), **kw):
    """Boots the default system as a user meets it: to the prompt (and
    the ready lines, which may come after it), then logs in and shuts
    down. Returns the Run and the console up to the prompt."""
    con = Console(timeout=180, **kw)
    con.wait_for("capos> ")
    boot_text = con.text()
    for line in ready:
        con.wait_for(line)
    con.send("login\r")
    con.wait_for("username> ")
    con.send("admin\r")
    con.wait_for("password> ")
    con.send("capos-dev\r")
    con.wait_for("admin@capos> ")
    con.send("shutdown\r")
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_quiet(boot_text, f"{what}'s console before the prompt")
    expect_quiet(run.log, f"{what}'s console")
    expect_one_prefix(run.log, f"{what}'s console")
    expect_line(run, "memory: ")
    expect_line(run, "init exited with status 0; halting")
    return run, boot_text


@case
def default_system_boots_quietly_at_info():
    # Both gateways start cleanly and say where they listen, at info.
    run, boot_text = boot_to_prompt_and_shut_down(
        "make run", kernel=kernel_image(),
        initrd=os.path.join(BUILD, "default.pkg"), extra=default_nic()[1],
        ready=("[ssh-gateway] listening on port 22",
               "[web-gateway] listening on port 443 (TLS 1.3 only) as "
               "https://localhost:8443"))
    expect(run, boot_text.startswith("capOS 0.1.0 x86_64, booted via PVH\n"),
           f"the console does not open with the banner: {boot_text[:80]!r}")
    # The key vault's host key fingerprint is for the person at the
    # console, so it is there at info, before the prompt.
    expect(run, re.search(r"^\[keyvault\] host key ssh-ed25519 SHA256:"
                          r"[A-Za-z0-9+/]{43}\r?$", boot_text, re.M)
           is not None, "no host key fingerprint from the key vault at info")


@case
def default_system_without_a_nic_says_so_once_and_logs_in():
    # make run's system on a machine without virtio-net: init reports
    # the driver's device grant in one line and skips the network path
    # (the netstack and the gateway import from the driver); nothing is
    # restarted, and the console login and shutdown work as with a NIC.
    run, _ = boot_to_prompt_and_shut_down(
        "make run without a NIC", kernel=kernel_image(),
        initrd=os.path.join(BUILD, "default.pkg"))
    init = [l for l in run.lines() if l.startswith("[init]")]
    expect(run, init == ["[init] manifest: service virtio-net: the device "
                         "resource cannot be had; skipped"],
           f"init's lines without a NIC: {init!r}")
    for name in ("[netstack]", "[ssh-gateway]", "[web-gateway]",
                 "restart"):
        expect_no_line(run, name)


@case
def grub_iso_boots_quietly_at_info():
    # make run-iso: the same system through GRUB and Multiboot2.
    boot_to_prompt_and_shut_down("make run-iso", iso=iso_image(),
                                 extra=default_nic()[1])


@case
def agent_demo_talks_without_diagnostics_at_info():
    # make run-agent-shell: the scripted model's own reports (what it
    # was offered, what it holds) are debug lines; at info the console
    # shows the conversation and the shell's decisions only.
    sh = Shell.__new__(Shell)
    sh.con = Console(kernel=kernel_image(),
                     initrd=os.path.join(BUILD, "agent.pkg"), timeout=180)
    sh.mark = 0
    sh.wait("capos> ")
    sh.login("admin", "capos-dev", "admin@capos> ")
    sh.command("agent", "admin@capos agent> ")
    sh.command("which programs", "admin@capos agent> ")
    sh.command("exit", "admin@capos> ")
    sh.con.send("shutdown\r")
    con = sh.con
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "I will ask the launcher.")
    expect_no_line(run, "[model-script]")
    expect_quiet(run.log, "make run-agent-shell's console")
    expect_one_prefix(run.log, "make run-agent-shell's console")


@case
def chat_demo_at_info_shows_the_conversation_only():
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "chat.pkg"),
               timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_quiet(run.log, "make run-chat's console")
    expect_one_prefix(run.log, "make run-chat's console")
    expect_alice_greeting(run)
    expect_line(run, "[chat] mallory left")
    expect_no_line(run, "[init] hello exited")
    expect_line(run, "init exited with status 0; halting")


@case
def networked_system_boots_quietly_at_info():
    # make run-net's system, without the host forward (tests use no host
    # port here); it serves until stopped, so the case stops QEMU once
    # the address is taken and echo listens (in either order: echo's
    # listen and the DHCP answer do not wait for each other).
    con = Console(kernel=kernel_image(),
                  initrd=os.path.join(BUILD, "net.pkg"), timeout=60,
                  extra=["-netdev", "user,id=n0",
                         "-device", "virtio-net-pci,netdev=n0"])
    con.wait_for("[netstack] dhcp address 10.0.2.15")
    con.wait_for("[echo] listening")
    con.proc.kill()
    run = con.finish()
    expect_quiet(run.log, "make run-net's console")
    expect_one_prefix(run.log, "make run-net's console")
    expect_line(run, "[echo] listening")


@case
def chat_demo_at_debug_shows_test_output_and_hardware():
    # loglevel= on the command line overrides the manifest's info.
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "chat.pkg"),
               append="loglevel=debug", timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "log: level debug, from the kernel command line")
    for text in ("[proof] timer ok", "timer: lapic ", "pci 00:00.0 ",
                 "acpi: RSDP at ", "[proof] boot ok", "[init] started chat",
                 "[proof] init ok services=5", "[proof] chat-flow ok",
                 "[init] hello exited with status 0", "[proof] no-leak ok"):
        expect_line(run, text)
    expect_one_prefix(run.log, "make run-chat's console at debug")


@case
def test_system_sets_debug_in_its_manifest():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "greeter.pkg"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "log: level debug, from the manifest")
    expect_line(run, "[proof] greeter ok")


@case
def unknown_level_on_the_command_line_is_reported_and_ignored():
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "chat.pkg"),
               append="loglevel=loud", timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "log: loglevel=loud on the kernel command line is not "
                "a level (error, warn, info, debug); ignored")
    # The manifest's info applies.
    expect_quiet(run.log, "chat at the manifest's level")
    expect_alice_greeting(run)


@case
def error_level_keeps_only_failures_and_program_output():
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "chat.pkg"),
               append="loglevel=error", timeout=60)
    expect_status(run, EXIT_CLEAN)
    # hello's greeting is its output, not a log line.
    expect(run, run.lines() == ["hello: hello, world from hello, holding 1 "
                                "capability"],
           f"at error a clean run prints only program output: {run.log!r}")
