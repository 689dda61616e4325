#!/usr/bin/env python3
"""Extract the ELF kernel (vmlinux) from a Debian bzImage.

QEMU boots an ELF kernel that carries a PVH note straight into its 32-bit
entry: the path capOS boots by. Using it for Linux too keeps the boot rows
about the kernels, not about bzImage's real-mode setup and self-decompression.

Boot protocol 2.08+ (Documentation/x86/boot.rst) gives the compressed
payload's place in the header: payload_offset (0x248) and payload_length
(0x24c), counted from the protected-mode code, which starts after the
(setup_sects + 1) 512-byte setup sectors.

Usage: vmlinux.py BZIMAGE OUT
"""
import lzma
import struct
import sys

XZ_MAGIC = b"\xfd7zXZ\x00"


def extract(image):
    if image[0x202:0x206] != b"HdrS":
        raise ValueError("no bzImage header")
    version, = struct.unpack_from("<H", image, 0x206)
    if version < 0x208:
        raise ValueError(f"boot protocol {version:#x} has no payload fields")
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + offset
    payload = image[start:start + length]
    if not payload.startswith(XZ_MAGIC):
        raise ValueError("payload is not xz-compressed")
    # The build appends the uncompressed size after the xz stream; the
    # decompressor stops at the end of the stream and leaves it unused.
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    elf = d.decompress(payload)
    if not d.eof or not elf.startswith(b"\x7fELF"):
        raise ValueError("payload did not decompress to an ELF file")
    return elf


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    try:
        elf = extract(image)
    except ValueError as e:
        sys.exit(f"vmlinux: {sys.argv[1]}: {e}")
    with open(sys.argv[2], "wb") as f:
        f.write(elf)


if __name__ == "__main__":
    main()
