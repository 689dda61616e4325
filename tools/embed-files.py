#!/usr/bin/env python3
"""Writes a C source holding files as byte arrays, for a service that
serves them from memory (services/web-gateway/static.h says the shape):
embed-files.py OUT.c HEADER FILE... . index.html is served as "/", every
other file as "/NAME"; the Content-Type comes from the extension, and an
extension not listed here is refused so nothing is served as a guess."""
import os
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def main():
    out, header, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = [f"/* Made by tools/embed-files.py; do not edit. */",
             f'#include "{header}"', ""]
    entries = []
    for i, path in enumerate(sorted(files)):
        name = os.path.basename(path)
        ext = os.path.splitext(name)[1]
        if ext not in TYPES:
            sys.exit(f"embed-files.py: no Content-Type for {name}")
        data = open(path, "rb").read()
        body = ",".join(str(b) for b in data)
        lines.append(f"static const uint8_t f{i}[] = {{{body}}};")
        target = "/" if name == "index.html" else "/" + name
        entries.append(f'\t{{ "{target}", "{TYPES[ext]}", f{i}, '
                       f'sizeof(f{i}) }},')
    lines.append("const struct wg_file wg_files[] = {")
    lines.extend(entries)
    lines.append("};")
    lines.append("const size_t wg_nfiles = sizeof(wg_files) / "
                 "sizeof(wg_files[0]);")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out)


main()
