"""Device capabilities: PCI enumeration, and a driver's BAR, interrupt and
DMA pool minted by init from manifest grants, on a virtio-net device."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)

VIRTIO_NET = ["-netdev", "user,id=n0,restrict=on",
              "-device", "virtio-net-pci,disable-legacy=on,netdev=n0"]


@case
def device_capabilities_on_virtio_net():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "devices.pkg"),
               extra=VIRTIO_NET, timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "pci 00:02.0 1af4:1041 class 02.00 msix")
    # The firmware's BAR assignment passes the kernel's sanity checks.
    expect_no_line(run, "refused:")
    # The checks include the pool's SharedMemory face (the pool's pages at
    # the pool's address, no device address, no DMAPool methods), the
    # 9th pool of the device refused and pools had again once released,
    # an Interrupt wait left pending while the device is idle and
    # completed once it sends a frame, and a child that read the MSI-X
    # table through its mapping dying of a page fault there.
    expect_line(run, "devtest: 56 checks, 0 failed")
    expect_line(run, "[proof] device-caps ok config reads checked; BAR "
                "mapped uncached, not a call buffer, its MSI-X table page "
                "absent; pool and its shared face; 8 pools a device; the "
                "device's interrupt waited for")
    # The kernel's own report of that fault: at the very address the child
    # read, and "not present" (error bit 0 clear: a user-mode read).
    at = expect_line(run, "devtest-msix: reading the MSI-X table at ")
    fault = expect_line(run, "(devtest-msix) faulted: vector 14 ")
    expect(run, fault.endswith(f"address {at.split()[-1]}, error 0x4"),
           f"the MSI-X table page was not absent at {at!r}: {fault!r}")
    expect_no_line(run, "the MSI-X table is mapped")
    # A grant for a device that is not there is refused by name.
    expect_line(run, "[init] manifest: service nodevice: the device "
                "resource cannot be had; skipped")
    # A second Interrupt for a device whose interrupt is held is refused.
    expect_line(run, "[init] manifest: service twoirq: the device "
                "resource cannot be had; skipped")
    expect_line(run, "[init] devtest exited with status 0")
    expect_no_line(run, "panic")
