#!/usr/bin/env python3
"""Assemble the Linux baseline guest's initramfs.

The image is a gzip-compressed newc cpio archive written directly, so the
host needs neither cpio nor root (the /dev/console node is an archive entry,
not a file on the host). Kernel modules come from the unpacked Debian kernel
package: the named roots plus everything their `depends=` modinfo lists,
loaded by /etc/net-up.sh in the order written to /etc/modules.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

# The shell rows' account (bench/linux/login.c), NOT FOR PRODUCTION: the
# password the capOS bench system's admin has, hashed at build time by the
# guest's own busybox (SHA-512 crypt, its default 5000 rounds) with a
# fixed salt, so the image stays byte-identical across rebuilds.
LOGIN_USER = "admin"
LOGIN_PASSWORD = "capos-dev"
LOGIN_SALT = "capOSbenchSalt16"
LOGIN_PS1 = "admin@linux> "

S_IFDIR = 0o040000
S_IFREG = 0o100000
S_IFLNK = 0o120000
S_IFCHR = 0o020000


class Cpio:
    """A newc ("070701") archive writer: 110-byte ASCII header, name, data,
    each padded to a multiple of four bytes."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 0

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        nlink = 2 if mode & S_IFDIR else 1
        namez = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(namez), 0)
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += namez
        self._pad()
        self.out += data
        self._pad()

    def _pad(self):
        self.out += b"\0" * (-len(self.out) % 4)

    def directory(self, name):
        self._entry(name, S_IFDIR | 0o755)

    def file(self, name, data, perm):
        self._entry(name, S_IFREG | perm, data)

    def symlink(self, name, target):
        self._entry(name, S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.out)


def elf_section(blob, wanted):
    """Return the bytes of section `wanted` of a little-endian ELF64 file."""
    if blob[:4] != b"\x7fELF" or blob[4] != 2 or blob[5] != 1:
        raise ValueError("not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", blob, 0x3A)

    def header(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from("<IIQQQQ", blob, shoff + i * shentsize)

    names_off = header(shstrndx)[4]
    for i in range(shnum):
        name_off, _, _, _, off, size = header(i)
        end = blob.index(b"\0", names_off + name_off)
        if blob[names_off + name_off:end].decode() == wanted:
            return blob[off:off + size]
    raise ValueError(f"no {wanted} section")


def elf_needed(blob):
    """The DT_NEEDED names of an ELF64 shared object or program."""
    dynamic = elf_section(blob, ".dynamic")
    strtab = elf_section(blob, ".dynstr")
    names = []
    for off in range(0, len(dynamic) - 15, 16):
        tag, val = struct.unpack_from("<qQ", dynamic, off)
        if tag == 0:
            break
        if tag == 1:
            names.append(strtab[val:strtab.index(b"\0", val)].decode())
    return names


def read_in_root(root, path):
    """The bytes of path inside root, following symlinks (an absolute
    target is taken inside root too)."""
    for _ in range(16):
        full = os.path.join(root, path.lstrip("/"))
        if not os.path.islink(full):
            with open(full, "rb") as f:
                return f.read()
        target = os.readlink(full)
        path = target if target.startswith("/") else \
            os.path.join(os.path.dirname(path), target)
    raise ValueError(f"too many symlinks at {path}")


LIB_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
INTERP = "lib64/ld-linux-x86-64.so.2"


def elf_closure(root, program):
    """A dynamically linked program of the unpacked packages and the
    shared libraries it needs, each as (path in the image, bytes): the
    libraries in /lib/x86_64-linux-gnu, where the loader looks without a
    cache, and the loader itself."""
    files = {program: read_in_root(root, program),
             INTERP: read_in_root(root, INTERP)}
    todo = list(elf_needed(files[program]))
    while todo:
        name = todo.pop()
        dest = f"lib/x86_64-linux-gnu/{name}"
        if dest in files:
            continue
        where = [d for d in LIB_DIRS
                 if os.path.lexists(os.path.join(root, d, name))]
        if not where:
            raise ValueError(f"{program} needs {name}, not in the packages")
        files[dest] = read_in_root(root, f"{where[0]}/{name}")
        todo += elf_needed(files[dest])
    return files


def module_depends(blob):
    for field in elf_section(blob, ".modinfo").split(b"\0"):
        if field.startswith(b"depends="):
            return [d for d in field[8:].decode().split(",") if d]
    return []


def module_closure(moddir, roots):
    """Modules needed by `roots`, each after everything it depends on."""
    index = {}
    for dirpath, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                index[f[:-3].replace("-", "_")] = os.path.join(dirpath, f)
    order, blobs, visiting = [], {}, set()

    def visit(name):
        if name in blobs:
            return
        if name in visiting:
            raise ValueError(f"module dependency cycle at {name}")
        if name not in index:
            raise ValueError(f"module {name} not in {moddir}")
        visiting.add(name)
        with open(index[name], "rb") as f:
            blob = f.read()
        for dep in module_depends(blob):
            visit(dep)
        visiting.discard(name)
        blobs[name] = blob
        order.append(name)

    for r in roots:
        visit(r)
    return order, blobs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True,
                    help="tree the kernel and busybox packages were unpacked into")
    ap.add_argument("--init", required=True, help="the static benchmark program")
    ap.add_argument("--net-up", required=True, help="network bring-up script")
    ap.add_argument("--modules", required=True, help="comma-separated root modules")
    ap.add_argument("--out", required=True)
    ap.add_argument("--info", help="write the kernel release, modules and "
                    "package files here")
    ap.add_argument("--elf", action="append", default=[],
                    help="a dynamically linked program of the packages to "
                    "add, with the libraries it needs (path inside --root)")
    ap.add_argument("--authorized-key",
                    help="an OpenSSH public key that may log in as the "
                    "shell rows' account (the SSH rows, bench/ssh.py)")
    ap.add_argument("--debs", default="",
                    help="space-separated names of the .deb files, for --info")
    args = ap.parse_args()

    releases = os.listdir(os.path.join(args.root, "lib/modules"))
    if len(releases) != 1:
        sys.exit(f"mkinitramfs: expected one kernel release, found {releases}")
    release = releases[0]
    order, blobs = module_closure(
        os.path.join(args.root, "lib/modules", release, "kernel"),
        args.modules.split(","))

    elves = {}
    for program in args.elf:
        elves.update(elf_closure(args.root, program))

    a = Cpio()
    for d in ("bin", "dev", "etc", "lib", "lib/modules"):
        a.directory(d)
    # The kernel opens /dev/console for init's stdin, stdout and stderr
    # before devtmpfs exists, so the node must be in the archive.
    a.chardev("dev/console", 5, 1)
    with open(args.init, "rb") as f:
        a.file("init", f.read(), 0o755)
    with open(os.path.join(args.root, "bin/busybox"), "rb") as f:
        a.file("bin/busybox", f.read(), 0o755)
    # whoami: the command of the telnet and SSH login rows
    # (bench/telnet.py, bench/ssh.py).
    for applet in ("sh", "insmod", "ifconfig", "login", "whoami"):
        a.symlink("bin/" + applet, "busybox")
    # /init run as count prints what capOS's count prints (the SSH stream
    # row, bench/linux/count.c).
    a.symlink("bin/count", "/init")
    made = {"bin", "dev", "etc", "lib", "lib/modules"}
    for d in sorted({os.path.dirname(p) for p in elves}):
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in made:
                a.directory(sub)
                made.add(sub)
    for path in sorted(elves):
        a.file(path, elves[path], 0o755)
    crypted = subprocess.run(
        [os.path.join(args.root, "bin/busybox"), "mkpasswd", "-m", "sha512",
         LOGIN_PASSWORD, LOGIN_SALT], check=True, capture_output=True,
        text=True).stdout.strip()
    if not crypted.startswith("$6$" + LOGIN_SALT + "$"):
        sys.exit(f"mkinitramfs: busybox mkpasswd gave {crypted!r}")
    # A home of its own: Dropbear refuses an authorized_keys file under
    # a directory others may write to, and the root directory's mode is
    # the kernel's to choose.
    home = f"home/{LOGIN_USER}"
    a.directory("home")
    a.directory(home)
    a.file("etc/passwd", (f"root:x:0:0:root:/:/bin/sh\n"
                          f"{LOGIN_USER}:x:1000:1000:{LOGIN_USER}:/{home}:"
                          f"/bin/sh\n").encode(), 0o644)
    if args.authorized_key:
        with open(args.authorized_key, "rb") as f:
            key = f.read()
        # Owned by root and written by no one else, as Dropbear wants,
        # and readable by the account it reads them as.
        a.directory(f"{home}/.ssh")
        a.file(f"{home}/.ssh/authorized_keys", key, 0o644)
        # Dropbear's host keys, made as the first client asks (-R).
        a.directory("etc/dropbear")
    a.file("etc/group", b"root:x:0:\nadmin:x:1000:\n", 0o644)
    a.file("etc/shadow", (f"root:*:19000:0:99999:7:::\n"
                          f"{LOGIN_USER}:{crypted}:19000:0:99999:7:::\n"
                          ).encode(), 0o600)
    a.file("etc/profile", f"PS1='{LOGIN_PS1}'\n".encode(), 0o644)
    with open(args.net_up, "rb") as f:
        a.file("etc/net-up.sh", f.read(), 0o755)
    a.file("etc/modules", "".join(m + "\n" for m in order).encode(), 0o644)
    for m in order:
        a.file(f"lib/modules/{m}.ko", blobs[m], 0o644)

    # mtime=0 keeps the image byte-identical across rebuilds.
    with open(args.out, "wb") as f:
        f.write(gzip.compress(a.finish(), compresslevel=6, mtime=0))
    if args.info:
        with open(args.info, "w") as f:
            json.dump({"kernel_release": release, "modules": order,
                       "packages": args.debs.split()}, f, indent=1)
            f.write("\n")
    print(f"mkinitramfs: {args.out}: kernel {release}, modules {' '.join(order)}")


if __name__ == "__main__":
    main()
