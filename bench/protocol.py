"""The guest line protocol (docs/benchmarks.md, "Guest output").

A guest prints, on its serial console, lines that begin with "[bench] ":

    [bench] start
    [bench] tsc_hz=<integer>
    [bench] row=<key> value=<decimal> unit=<unit> iters=<integer>
    [bench] net port=<integer>
    [bench] error <free text>
    [bench] end

Any other line (kernel messages, a shell) is not the protocol's business.
A line that starts with the prefix but does not parse is an error, never
skipped silently: a typo in a guest must not turn into a missing row.
"""
import math
import re

from rows import UNITS

PREFIX = "[bench] "

_KEY = r"[a-z][a-z0-9_]*"
_ROW = re.compile(r"row=(%s) value=(-?[0-9]+(?:\.[0-9]+)?) unit=(\S+) "
                  r"iters=([0-9]+)" % _KEY)
_TSC = re.compile(r"tsc_hz=([0-9]+)")
_NET = re.compile(r"net port=([0-9]+)")


class ProtocolError(ValueError):
    pass


def parse(line):
    """Parse one console line.

    Returns None for a line outside the protocol, else one of
    ("start",), ("tsc_hz", hz), ("row", key, value, unit, iters),
    ("net", port), ("error", text), ("end",).
    Raises ProtocolError for a malformed protocol line.
    """
    line = line.rstrip("\r\n")
    if not line.startswith(PREFIX):
        return None
    body = line[len(PREFIX):]
    if body in ("start", "end"):
        return (body,)
    if body.startswith("error "):
        return ("error", body[len("error "):])
    m = _ROW.fullmatch(body)
    if m:
        key, value, unit, iters = m.groups()
        if unit not in UNITS:
            raise ProtocolError(f"row {key}: unknown unit {unit!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ProtocolError(f"row {key}: value out of range")
        if int(iters) < 1:
            raise ProtocolError(f"row {key}: iters must be at least 1")
        return ("row", key, value, unit, int(iters))
    m = _TSC.fullmatch(body)
    if m:
        if int(m.group(1)) == 0:
            raise ProtocolError("tsc_hz must be positive")
        return ("tsc_hz", int(m.group(1)))
    m = _NET.fullmatch(body)
    if m:
        port = int(m.group(1))
        if not 0 < port < 65536:
            raise ProtocolError(f"net port {port} out of range")
        return ("net", port)
    raise ProtocolError(f"unparsable line {body!r}")
