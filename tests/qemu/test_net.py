"""The network test system: two netstacks joined back to back by nic-loop,
the echo service behind one of them, and nettest driving TCP through the
other (system/net-loop.capnp, docs/network.md)."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)


@case
def net_loop_tcp_echo_through_two_netstacks():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "net-loop.pkg"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] init ok services=7")
    # Both run with the production lifetimes (docs/network.md).
    expect_line(run, "[net-a] up, mac 52:54:00:00:00:01, "
                "address 10.0.0.1 netmask 255.255.255.0, 4 endpoint(s), "
                "keepalive 120,15,4 s, zero window give-up 120 s")
    expect_line(run, "[net-b] up, mac 52:54:00:00:00:02, "
                "address 10.0.0.2 netmask 255.255.255.0, 1 endpoint(s), "
                "keepalive 120,15,4 s, zero window give-up 120 s")
    # echo holds only its console and the port-7 authority.
    expect_line(run, "[proof] echo-confined ok: with only the console and "
                     "port 7's listen authority, all 512 attempts")
    # A socket kept after both FINs must not reach the connection that
    # reuses its TIME_WAIT pcb.
    expect_line(run, "[proof] tcp-timewait-reuse ok conns=80")
    expect_line(run, "[proof] tcp-echo-small ok messages=6")
    # Every byte of the large and the parallel transfers came back in
    # order (nettest compares each byte; the sums are of what came back).
    expect_line(run, "[proof] tcp-echo ok bytes=2097152 sum=")
    expect_line(run, "[proof] tcp-many ok conns=16 bytes=2097152 sum=")
    # 30 connections holding a window of unread data each way did not
    # stop four streams through the echo, and the sink's listener could
    # not hold more than its quota of sockets (the 33rd was reset).
    expect_line(run, "[proof] tcp-flood ok conns=30 unread=3932160")
    expect_line(run, "nettest sink: held 30 connections unread")
    expect_line(run, "[proof] tcp-client-abort ok")
    expect_line(run, "nettest closer: said bye and closed first")
    # The port listens again while its last connection is still closing.
    expect_line(run, "nettest closer: listened again on port 9")
    expect_line(run, "[proof] tcp-server-close ok")
    expect_line(run, "[proof] tcp-refused ok")
    expect_line(run, "[proof] tcp-badge ok")
    # A listener dropped without close freed its port at once.
    expect_line(run, "[proof] tcp-dropped ok")
    expect_line(run, "nettest: 0 failed")
    # Malformed frames and receive entries went into both stacks' live
    # traffic, which went on, and neither stack gave back a slot it had
    # not been lent.
    expect_line(run, "[proof] nic-malformed ok injected=108 bad-done=0 ")
    bad_done = expect_line(run, "nic-loop: bad done 0 from A, 0 from B;")
    # With 32 receive slots a side (slots=32), bursts found them all lent:
    # transmits took what fitted and waited for slots to come back.
    waited = re.search(r"transmits waited (\d+) times on A, (\d+) on B",
                       bad_done)
    expect(run, waited is not None and
           int(waited.group(1)) + int(waited.group(2)) > 0,
           f"some transmit should have waited for receive slots: "
           f"{bad_done!r}")
    # One receive per side was refused; both stacks asked again (the
    # tests after it could not pass otherwise) and frames flowed on.
    refused = expect_line(run, "nic-loop: refused 1 receive(s) of A, 1 of B")
    expect(run, " 0 and " not in refused and not refused.endswith(" 0 frames"),
           f"frames should flow after the refusal: {refused!r}")
    for name in ("net-a", "net-b"):
        done = expect_line(run, f"[{name}] done: ")
        # The 6 oversized and empty frames and the 3 lengths past their
        # slot; the 9 entries naming a slot past the area, a transmit
        # slot, or a slot already lent in the same answer.
        expect(run, "bad 9, bad slots 9," in done,
               f"{name} should have refused the 9 frames of impossible "
               f"length and the 9 entries naming no slot of its own "
               f"itself: {done!r}")
        # Every socket and listener ended, including those dropped
        # without close (the kernel's notices).
        expect(run, done.endswith("open: sockets 0 listeners 0"),
               f"{name} should end with nothing open: {done!r}")
        # The flood's windows stay shut for a while, well under the
        # give-up: with the production lifetimes nothing was reset.
        expect(run, "reclaimed: idle 0 zero window 0 accept queue 0, "
               "timed out 0," in done,
               f"{name} should have reset no connection by force: "
               f"{done!r}")
    expect_line(run, "[echo] served 106 connections")
    for name in ("nic-loop", "net-a", "net-b", "echo", "closer", "sink",
                 "nettest"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_line(run, "init exited with status 0; halting")
    expect_no_line(run, "panic")
    expect_no_line(run, "FAILED")
    expect_no_line(run, "invariant broken")
