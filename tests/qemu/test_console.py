"""Console input: what is typed on the serial console reaches the one
process holding ConsoleInput, through the UART's receive interrupt and a
bounded kernel buffer (docs/abi.md, "The console")."""
import os

from harness import (BUILD, EXIT_CLEAN, Console, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)

FLOOD = 6000


@case
def console_input_reaches_its_reader_bounded_and_in_order():
    con = Console(kernel=kernel_image(),
                  initrd=os.path.join(BUILD, "console.pkg"), timeout=60)
    con.wait_for("[keyecho] ready")
    # Typed while nobody reads: the kernel keeps 4 KiB and counts the rest.
    con.send(b"x" * FLOOD)
    con.wait_for("[keyecho] type")
    con.send("hello capOS\r")
    con.wait_for("[keyecho] line: hello capOS")
    con.send("second line\n")
    con.wait_for("[keyecho] line: second line")
    con.send("quit\r")
    con.wait_for("[keyecho] waiting")
    con.send("bye")
    # A read whose thread ended must not swallow what is typed next.
    con.wait_for("[keyecho] orphaned")
    con.send("kept\r")
    con.wait_for("[keyecho] reading")
    # keyecho may read "kept", end, and the machine halt before this goes
    # out (with four CPUs it often does): "late" only matters when "kept"
    # was lost, and then keyecho is still waiting for it.
    try:
        con.send("late\r")
    except BrokenPipeError:
        pass
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, f"[proof] console-input-overflow ok: {FLOOD} bytes "
                     f"sent unread, the kernel kept 4096 and counted "
                     f"{FLOOD - 4096} dropped")
    expect_line(run, "keyecho: 14 checks, 0 failed")
    expect_line(run, "[proof] console-input-orphan ok")
    expect_line(run, "[proof] console-input ok")
    lines = [l for l in run.lines() if l.startswith("[keyecho] line: ")]
    expect(run, lines == ["[keyecho] line: hello capOS",
                          "[keyecho] line: second line"],
           f"lines out of order or extra: {lines!r}")
    expect_no_line(run, "panic")
