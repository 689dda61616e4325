"""The virtio-net driver: brought up from device capabilities alone, it
serves Nic to nictest, which talks ARP with QEMU's user network (restrict=on:
nothing leaves the host, QEMU itself answers ARP) and feeds it bad input."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect_line,
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
    expect_line(run, "[init] virtio-net exited with status 0")
    expect_line(run, "bad device entries 0")
    expect_no_line(run, "panic")
