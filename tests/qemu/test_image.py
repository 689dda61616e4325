"""What the kernel image holds: no network driver and no TCP/IP stack.
Networking lives in userspace (virtio-net driver, netstack with lwIP)."""
import re
import subprocess

from harness import case, expect, kernel_image

# Symbols that would mean a network stack or NIC driver in the kernel.
FORBIDDEN = re.compile(r"lwip|tcp_|udp_|etharp|netif|pbuf|ip4_|dhcp|"
                       r"virtio|virtq|vring", re.IGNORECASE)


@case
def kernel_has_no_network_stack_or_driver():
    out = subprocess.run(["nm", kernel_image()], capture_output=True,
                         text=True, check=True).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    expect(None, len(names) > 100,
           f"nm listed only {len(names)} symbols; is the image stripped?")
    bad = [n for n in names if FORBIDDEN.search(n)]
    expect(None, not bad, f"network symbols in the kernel: {bad[:10]}")
