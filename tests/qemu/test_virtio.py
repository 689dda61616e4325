"""The virtio-net driver: brought up from device capabilities alone, it
serves Nic to nictest, which talks ARP with QEMU's user network (restrict=on:
nothing leaves the host, QEMU itself answers ARP) and feeds it bad input."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)

VIRTIO_NET = ["-netdev", "user,id=n0,restrict=on",
              "-device", "virtio-net-pci,disable-legacy=on,netdev=n0"]


@case
def virtio_net_driver_serves_nic():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "nic.pkg"),
               extra=VIRTIO_NET, timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[virtio-net] up: mac 52:54:00:12:34:56, link up")
    expect_line(run, "checks, 0 failed")
    expect_line(run, "[proof] virtio-net ok mac=52:54:00:12:34:56 "
                "arp-reply-from=10.0.2.2")
    expect_no_line(run, "nictest: the deadline passed")
    # The driver sees its last client go, resets the device and exits.
    expect_line(run, "[init] nictest exited with status 0")
    # A second holder of the Nic got info and was refused everything else.
    expect_line(run, "nictest intruder: 4 checks, 0 failed")
    expect_line(run, "[proof] nic-area-bound ok")
    expect_line(run, "[init] intruder exited with status 0")
    expect_line(run, "[init] virtio-net exited with status 0")
    expect_line(run, "bad device entries 0")
    # Every slot number nictest sent on purpose that named no slot of its
    # own was counted by the driver, and nothing else was.
    sent = re.search(r"nictest: \d+ checks, 0 failed, (\d+) bad slot "
                     r"numbers sent", run.log)
    counted = re.search(r"\[virtio-net\] stopped: .* bad slots (\d+)",
                        run.log)
    expect(run, sent is not None and counted is not None,
           "nictest's and the driver's slot counts are printed")
    expect(run, sent.group(1) == "10",
           f"nictest sent {sent.group(1)} bad slot numbers, want 10")
    expect(run, sent.group(1) == counted.group(1),
           f"the driver counted {counted.group(1)} bad slot numbers, "
           f"nictest sent {sent.group(1)}")
    expect_no_line(run, "panic")
