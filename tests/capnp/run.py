#!/usr/bin/env python3
"""The capnp suite: round trips against the stock `capnp` tool, the
default manifest, mkpkg's command line, and the freestanding compile of
lib/capnp and the generated ABI header.

Every check prints "ok NAME" or "FAIL NAME: why"; the last line is
"N passed, N failed". A helper that crashes or prints nothing counts as
a failure, never as a pass.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEST_SCHEMA = os.path.join(HERE, "test.capnp")
ABI_SCHEMA = os.path.join(ROOT, "schema", "capos.capnp")
INCLUDE = ["-I", os.path.join(ROOT, "schema")]

passed = failed = 0


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}".rstrip(": "))


def run(argv, data=None):
    return subprocess.run(argv, input=data, capture_output=True)


def encode(schema, typ, text):
    p = run(["capnp", "encode"] + INCLUDE + [schema, typ], text.encode())
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode(errors="replace"))
    return p.stdout


def decode(schema, typ, data):
    p = run(["capnp", "decode"] + INCLUDE + [schema, typ], data)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode(errors="replace"))
    return p.stdout.decode()


def count_checks(prefix, proc):
    """Count a helper's ok/FAIL lines; a bad exit with none failed fails."""
    seen_fail = False
    lines = proc.stdout.decode(errors="replace").splitlines()
    for line in lines:
        word, _, name = line.partition(" ")
        if word == "ok":
            report(f"{prefix}: {name.strip()}", True)
        elif word == "FAIL":
            report(f"{prefix}: {name.strip()}", False, "reader check")
            seen_fail = True
    if not lines:
        report(prefix, False, "helper printed nothing")
    elif proc.returncode != 0 and not seen_fail:
        report(prefix, False, f"helper exit status {proc.returncode}: "
               + proc.stderr.decode(errors="replace")[-300:])


def round_trips(bindir):
    sample = open(os.path.join(HERE, "sample.txt")).read()
    theirs = encode(TEST_SCHEMA, "AllTypes", sample)
    expected = decode(TEST_SCHEMA, "AllTypes", theirs)

    p = run([os.path.join(bindir, "build_sample")])
    try:
        ours = decode(TEST_SCHEMA, "AllTypes", p.stdout)
    except RuntimeError as e:
        ours = f"(capnp decode failed: {e})"
    report("builder -> capnp decode equals the sample",
           p.returncode == 0 and len(expected) > 1000 and ours == expected,
           "texts differ:\n" + ours)

    count_checks("capnp encode -> reader",
                 run([os.path.join(bindir, "read_sample")], theirs))
    count_checks("builder -> reader",
                 run([os.path.join(bindir, "read_sample")], p.stdout))

    n = 20000
    data = "".join(f"\\x{(i * 7) & 0xff:02x}" for i in range(n))
    items = ", ".join(f"(id = {i}, label = \"{i}\")" for i in range(n // 64))
    big = encode(TEST_SCHEMA, "AllTypes",
                 f'(dataField = "{data}", structList = [{items}])')
    count_checks("capnp encode (multi-segment) -> reader",
                 run([os.path.join(bindir, "read_sample"), "big", str(n)],
                     big))


def default_manifest(build):
    path = os.path.join(build, "default.manifest.bin")
    want = open(os.path.join(HERE, "default.manifest.txt")).read()
    try:
        got = decode(ABI_SCHEMA, "SystemManifest", open(path, "rb").read())
    except (RuntimeError, OSError) as e:
        got = str(e)
    # The SSH keys and the TLS key and certificate are made at build time
    # (mk/ssh.mk, mk/crypto.mk), different in every build tree: the
    # expected text names them by their place.
    got = re.sub(r"ssh-ed25519=dev:[0-9a-f]{64}", "ssh-ed25519=dev:HOSTSEED",
                 got)
    got = re.sub(r"(sshKey=admin:ssh-ed25519 )[A-Za-z0-9+/=]+", r"\1PUBKEY",
                 got)
    got = re.sub(r"tls-p256=dev:[0-9a-f]{64}", "tls-p256=dev:TLSKEY", got)
    got = re.sub(r"tls-cert=[0-9a-f]+", "tls-cert=CERT", got)
    report("default manifest decodes with capnp decode", got == want,
           "got:\n" + got)


MANIFESTS = {
    "good": """(services = [
        (name = "hello", binary = "hello",
         grants = [(name = "console", source = (kernel = console)),
                   (name = "log", source = (serviceExport =
                        (service = "logger", export = "log"))),
                   (name = "net", source = (init = "net"))]),
        (name = "logger", binary = "logger", exports = [(name = "log")])])""",
    "missing-binary": """(services = [
        (name = "hello", binary = "hello"),
        (name = "shell", binary = "shell")])""",
    "duplicate-service": """(services = [
        (name = "hello", binary = "hello"),
        (name = "hello", binary = "logger")])""",
    "unknown-service": """(services = [
        (name = "hello", binary = "hello",
         grants = [(name = "log", source = (serviceExport =
                        (service = "nosuch", export = "log")))])])""",
    "unknown-export": """(services = [
        (name = "hello", binary = "hello",
         grants = [(name = "log", source = (serviceExport =
                        (service = "logger", export = "nolog")))]),
        (name = "logger", binary = "logger", exports = [(name = "log")])])""",
    "duplicate-grant": """(services = [
        (name = "hello", binary = "hello",
         grants = [(name = "c", source = (kernel = console)),
                   (name = "c", source = (kernel = timer))])])""",
}

REFUSALS = [
    ("missing-binary", ["hello", "logger"],
     'service "shell": binary "shell" is not in the package'),
    ("duplicate-service", ["hello", "logger"], 'duplicate service "hello"'),
    ("unknown-service", ["hello"],
     'service "hello": grant "log": unknown service "nosuch"'),
    ("unknown-export", ["hello", "logger"],
     'service "hello": grant "log": service "logger" exports no "nolog"'),
    ("duplicate-grant", ["hello"], 'service "hello": duplicate grant "c"'),
    ("good", ["hello", "logger", "sub/hello"], 'duplicate binary "hello"'),
    ("truncated", ["hello"], "manifest: truncated message"),
]


def mkpkg_cases(build, tmp):
    mkpkg = os.path.join(build, "tools", "mkpkg")
    os.makedirs(os.path.join(tmp, "sub"), exist_ok=True)
    for name in ("hello", "logger", "sub/hello"):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(b"\x7fELF fixture " + name.encode())
    for name, text in MANIFESTS.items():
        with open(os.path.join(tmp, name + ".bin"), "wb") as f:
            f.write(encode(ABI_SCHEMA, "SystemManifest", text))
    good = open(os.path.join(tmp, "good.bin"), "rb").read()
    with open(os.path.join(tmp, "truncated.bin"), "wb") as f:
        f.write(good[:12])

    out = os.path.join(tmp, "good.pkg")
    p = run([mkpkg, "-o", out, os.path.join(tmp, "good.bin"),
             os.path.join(tmp, "hello"), os.path.join(tmp, "logger")])
    try:
        text = decode(ABI_SCHEMA, "BootPackage.Image", open(out, "rb").read())
        manifest = decode(ABI_SCHEMA, "SystemManifest", good)
    except (RuntimeError, OSError) as e:
        text = manifest = str(e)
    want_bins = ('binaries = [\n    ( name = "hello",\n'
                 '      data = "\\177ELF fixture hello" ),')
    report("mkpkg builds a package capnp decode reads",
           p.returncode == 0 and want_bins in text and "logger" in text,
           p.stderr.decode(errors="replace") + text)
    report("mkpkg copies the manifest unchanged",
           p.returncode == 0 and manifest.strip()[1:-1].split() ==
           text.split("binaries = [")[0].strip()[len("( manifest = ("):]
           .rstrip().rstrip(",").rstrip().rstrip(")").split(),
           "manifest text differs")

    for manifest, bins, want in REFUSALS:
        out = os.path.join(tmp, manifest + "-refused.pkg")
        p = run([mkpkg, "-o", out, os.path.join(tmp, manifest + ".bin")] +
                [os.path.join(tmp, b) for b in bins])
        err = p.stderr.decode(errors="replace")
        report(f"mkpkg refuses {manifest}: {want}",
               p.returncode != 0 and want in err and not os.path.exists(out),
               f"status {p.returncode}, stderr {err!r}")


def abi_define(name):
    """The value of a numeric #define in include/capos/abi.h, following a
    define that names another."""
    text = open(os.path.join(ROOT, "include", "capos", "abi.h")).read()
    m = re.search(r"^#define\s+" + name + r"\s+(\w+)", text, re.M)
    if m is None:
        raise RuntimeError(f"{name} not in abi.h")
    value = m.group(1)
    return int(value, 0) if value[0].isdigit() else abi_define(value)


def mkpkg_size(mkpkg, tmp, n):
    """Runs mkpkg on a manifest whose one grant names an init capability
    of n bytes; returns (exit status, stderr)."""
    text = ('(services = [(name = "hello", binary = "hello", grants = '
            f'[(name = "big", source = (init = "{"x" * n}"))])])')
    path = os.path.join(tmp, f"size-{n}.bin")
    with open(path, "wb") as f:
        f.write(encode(ABI_SCHEMA, "SystemManifest", text))
    out = os.path.join(tmp, f"size-{n}.pkg")
    p = run([mkpkg, "-o", out, path, os.path.join(tmp, "hello")])
    return p.returncode, p.stderr.decode(errors="replace")


def mkpkg_manifest_limit(build, tmp):
    """The largest manifest mkpkg accepts is the largest whose copy in
    BootPackage.manifest's result fits CAPOS_MANIFEST_MAX: one word more
    is refused with an error naming the size and the limit."""
    mkpkg = os.path.join(build, "tools", "mkpkg")
    limit = abi_define("CAPOS_MANIFEST_MAX")
    with open(os.path.join(tmp, "hello"), "wb") as f:
        f.write(b"\x7fELF fixture hello")
    lo, hi = 1, 2 * limit
    status, err = mkpkg_size(mkpkg, tmp, lo)
    if status != 0:
        report("mkpkg accepts a small manifest", False, err)
        return
    status, err = mkpkg_size(mkpkg, tmp, hi)
    report(f"mkpkg refuses a manifest over {limit} bytes, naming the limit",
           status != 0 and "manifest too large" in err and
           f"at most {limit} (CAPOS_MANIFEST_MAX)" in err,
           f"status {status}, stderr {err!r}")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mkpkg_size(mkpkg, tmp, mid)[0] == 0:
            lo = mid
        else:
            hi = mid
    status, err = mkpkg_size(mkpkg, tmp, hi)
    m = re.search(r"as a (\d+)-byte message", err)
    report(f"mkpkg's largest manifest ({lo}-byte grant) fills the limit "
           "to the word",
           status != 0 and m is not None and
           limit < int(m.group(1)) <= limit + 8,
           f"first refusal: status {status}, stderr {err!r}")


def generator_refusals(build, tmp):
    plugin = os.path.abspath(os.path.join(build, "tools", "capnpc-c"))
    with open(os.path.join(tmp, "bad.capnp"), "w") as f:
        f.write("@0xe5a1c0de12345678;\n"
                "struct Inner { id @0 :UInt32; }\n"
                "struct Outer { inner @0 :Inner = (id = 1); }\n")
    p = subprocess.run(["capnp", "compile", f"--src-prefix={tmp}",
                        "-o", f"{plugin}:{tmp}",
                        os.path.join(tmp, "bad.capnp")],
                       capture_output=True)
    err = p.stderr.decode(errors="replace")
    report("capnpc-c refuses a struct default, naming the field",
           p.returncode != 0 and "bad_Outer.inner" in err, err)


ALLOWED_UNDEFINED = {"memcpy", "memset", "memcmp", "strlen"}


def symbols(nm_output):
    return {line.split()[-1] for line in nm_output.decode().splitlines()
            if line.strip() and not line.endswith(":")}


def freestanding(build, cflags, tmp):
    gen = os.path.join(build, "gen")
    lib = os.path.join(ROOT, "lib", "capnp")
    unit = os.path.join(tmp, "abi.c")
    with open(unit, "w") as f:
        f.write('#include "capos.capnp.h"\n#include "test.capnp.h"\n'
                "int capnp_abi_use(struct capnp_msg *m);\n"
                "int capnp_abi_use(struct capnp_msg *m)\n{\n"
                "\tstruct capos_SystemManifest_r r;\n\tstruct capnp_list l;"
                "\n\n\tif (capos_SystemManifest_read_root(m, &r) != 0)\n"
                "\t\treturn -1;\n"
                "\treturn capos_SystemManifest_get_services(&r, &l);\n}\n")
    srcs = [os.path.join(lib, s) for s in sorted(os.listdir(lib))
            if s.endswith(".c")] + [unit]
    objs = []
    for src in srcs:
        obj = os.path.join(tmp, os.path.basename(src) + ".o")
        p = run(["gcc"] + shlex.split(cflags) +
                ["-DCAPNP_NO_FLOAT", "-I", lib, "-I", gen, "-c", src,
                 "-o", obj])
        shown = os.path.relpath(src, ROOT) if src != unit else \
            "generated capos.capnp.h and test.capnp.h"
        report(f"freestanding kernel flags: {shown}",
               p.returncode == 0, p.stderr.decode(errors="replace"))
        objs.append(obj)
    p = run(["nm", "-u"] + objs)
    d = run(["nm", "--defined-only"] + objs)
    undefined = symbols(p.stdout) - symbols(d.stdout)
    report("freestanding objects need only memcpy/memset/memcmp/strlen",
           p.returncode == 0 and undefined <= ALLOWED_UNDEFINED,
           f"undefined: {sorted(undefined - ALLOWED_UNDEFINED)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--kernel-cflags", required=True)
    args = ap.parse_args()
    bindir = os.path.join(args.build, "tests", "capnp")
    steps = [("round trips", lambda t: round_trips(bindir)),
             ("default manifest", lambda t: default_manifest(args.build)),
             ("mkpkg", lambda t: mkpkg_cases(args.build, t)),
             ("mkpkg manifest limit",
              lambda t: mkpkg_manifest_limit(args.build, t)),
             ("generator", lambda t: generator_refusals(args.build, t)),
             ("freestanding", lambda t: freestanding(args.build,
                                                     args.kernel_cflags, t))]
    for name, step in steps:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                step(tmp)
            except Exception as e:  # A broken step is a failure, not a skip.
                report(name, False, f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
