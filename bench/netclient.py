"""The host side of the TCP rows: a client of the guest's bench server
(protocol in docs/benchmarks.md, "TCP rows"), reached through QEMU's user
network forward on 127.0.0.1. Both guests are timed by this same code.
"""
import socket
import struct
import time

# A guest that stops answering for this long fails the row instead of
# hanging the run.
IO_TIMEOUT_S = 30

CHUNK = 1 << 20
_ZEROS = bytes(CHUNK)


class NetError(Exception):
    pass


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise NetError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def upload(port, nbytes):
    """Host -> guest: send nbytes; the clock stops when the guest confirms
    it has received them all. Returns MiB/s."""
    with _connect(port) as s:
        t0 = time.perf_counter()
        s.sendall(b"u" + struct.pack("<Q", nbytes))
        left = nbytes
        view = memoryview(_ZEROS)
        while left > 0:
            n = min(left, CHUNK)
            s.sendall(view[:n])
            left -= n
        got, = struct.unpack("<Q", _recv_exact(s, 8))
        elapsed = time.perf_counter() - t0
    if got != nbytes:
        raise NetError(f"guest received {got} of {nbytes} bytes")
    return nbytes / (1 << 20) / elapsed


def download(port, nbytes):
    """Guest -> host: the guest sends nbytes and closes. Returns MiB/s."""
    buf = bytearray(CHUNK)
    got = 0
    with _connect(port) as s:
        t0 = time.perf_counter()
        s.sendall(b"d" + struct.pack("<Q", nbytes))
        while True:
            n = s.recv_into(buf)
            if n == 0:
                break
            got += n
        elapsed = time.perf_counter() - t0
    if got != nbytes:
        raise NetError(f"host received {got} of {nbytes} bytes")
    return nbytes / (1 << 20) / elapsed


def connections(port, count):
    """Sequential connection setups, each proven by the guest's one-byte
    answer (QEMU's forward accepts on the host side before the guest does,
    so a bare connect() would time only the host). Returns conn/s."""
    t0 = time.perf_counter()
    for _ in range(count):
        with _connect(port) as s:
            s.sendall(b"c")
            if _recv_exact(s, 1) != b"c":
                raise NetError("wrong answer to a connection probe")
    return count / (time.perf_counter() - t0)


def quit_server(port):
    with _connect(port) as s:
        s.sendall(b"q")


def measure(port, nbytes, nconn):
    """All TCP rows, each after an untimed warm-up of the same kind.
    Returns ({key: value}, [errors])."""
    rows, errors = {}, []
    for key, fn, arg, warm in (
            ("tcp_host_to_guest", upload, nbytes, CHUNK),
            ("tcp_guest_to_host", download, nbytes, CHUNK),
            ("tcp_conn_per_sec", connections, nconn, 2)):
        try:
            fn(port, warm)
            rows[key] = fn(port, arg)
        except (OSError, NetError) as e:
            errors.append(f"{key}: {e}")
    try:
        quit_server(port)
    except OSError as e:
        errors.append(f"telling the guest server to stop: {e}")
    return rows, errors
