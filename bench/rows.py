"""The rows of `make bench`: each pairs a capOS measurement with the Linux
measurement of the same work. This table is the only place the pairing is
written down; docs/benchmarks.md says why each pair is the same work.

A key is what a guest prints after `row=` (or, for the rows the harness
measures itself, the name it records them under). Units are fixed per key,
so a guest that prints a figure in another unit is caught, not converted.
"""
from collections import namedtuple

Row = namedtuple("Row", "capos linux unit")

ROWS = (
    Row("nop_single", "getppid", "cycles"),
    Row("nop_batch32", "getppid", "cycles"),
    Row("call_kernel_object", "write_devnull", "cycles"),
    Row("ipc_roundtrip_empty", "pipe_pingpong_1", "cycles"),
    Row("ipc_roundtrip_empty", "futex_pingpong_xproc", "cycles"),
    Row("ipc_roundtrip_256", "pipe_pingpong_256", "cycles"),
    Row("ipc_calls_32inflight", "pipe_calls_32inflight", "calls/s"),
    Row("park_pingpong", "futex_pingpong", "cycles"),
    Row("mutex_uncontended", "pthread_mutex", "cycles"),
    Row("thread_spawn_join", "pthread_spawn_join", "us"),
    Row("timer_sleep_1ms_overshoot", "nanosleep_1ms_overshoot", "us"),
    Row("boot_to_init", "boot_to_init", "ms"),
    Row("qemu_to_init", "qemu_to_init", "ms"),
    Row("tcp_host_to_guest", "tcp_host_to_guest", "MiB/s"),
    Row("tcp_guest_to_host", "tcp_guest_to_host", "MiB/s"),
    Row("tcp_conn_per_sec", "tcp_conn_per_sec", "conn/s"),
    Row("ed25519_sign", "ed25519_sign", "cycles"),
    Row("x25519", "x25519", "cycles"),
    Row("chacha20poly1305", "chacha20poly1305", "MiB/s"),
    Row("login_ms", "busybox_login", "ms"),
    Row("shell_call_us", "busybox_sh_true", "us"),
)

# The -smp pass of `make bench`: both guests booted again with several
# CPUs (harness --smp), each running only these rows. The ping-pong rows
# put their two sides on two CPUs (Linux pins them; capOS checks where they
# ran); the scaling rows time the same work over 1, 2 and 4 threads.
SMP_ROWS = (
    Row("park_pingpong_2cpu", "futex_pingpong_2cpu", "cycles"),
    Row("ipc_roundtrip_empty_2cpu", "pipe_pingpong_1_2cpu", "cycles"),
    Row("ipc_roundtrip_empty_2cpu", "futex_pingpong_xproc_2cpu", "cycles"),
    Row("scale_1thread", "scale_1thread", "ms"),
    Row("scale_2threads", "scale_2threads", "x"),
    Row("scale_4threads", "scale_4threads", "x"),
)

# The TCP pass of `make bench`: the TCP rows again with two CPUs (harness
# --net-smp), each guest booted for them alone (docs/benchmarks.md).
NET_SMP_ROWS = tuple(r for r in ROWS if r.capos.startswith("tcp_"))

# `make bench-telnet` (bench/telnet.py): measured by the host's Telnet
# client against a capOS system with telnet-gateway and a Linux guest
# running busybox telnetd, in boots of their own, so these rows are not in
# `make bench`'s table.
TELNET_ROWS = (
    Row("telnet_login_ms", "busybox_telnetd_login", "ms"),
)

# `make bench-ssh` (bench/ssh.py): the host's OpenSSH client against a
# capOS system with ssh-gateway and a Linux guest running Dropbear, in
# boots of their own, like the telnet row.
SSH_ROWS = (
    Row("ssh_login_ms", "dropbear_login_ms", "ms"),
    Row("ssh_stream", "dropbear_stream", "MiB/s"),
)

# `make bench-webshell` (bench/webshell.py, bench/webshell.js): chromium
# against the web shell system, in boots of their own. No Linux guest
# serves a browser terminal, so these rows have no Linux counterpart and
# no ratio: their figures stand as absolute times.
WEBSHELL_ROWS = (
    Row("webshell_login_ms", None, "ms"),
    Row("webshell_echo_ms", None, "ms"),
)

# x: a speed-up, one thread's time over several threads'.
UNITS = ("cycles", "us", "ms", "MiB/s", "conn/s", "calls/s", "x")
HIGHER_IS_BETTER = ("MiB/s", "conn/s", "calls/s", "x")

# Measured by the harness on the host, identically for both guests; a guest
# that prints one of these keys itself is in error.
HOST_KEYS = ("qemu_to_init", "tcp_host_to_guest", "tcp_guest_to_host",
             "tcp_conn_per_sec")


def _units(side):
    units = {}
    for r in ROWS + SMP_ROWS:
        key = getattr(r, side)
        if units.setdefault(key, r.unit) != r.unit:
            raise AssertionError(f"rows.py: {side} key {key} has two units")
    return units


# key -> unit, per side.
UNIT_OF = {"capos": _units("capos"), "linux": _units("linux")}

