#!/usr/bin/env python3
"""The list of make targets, from the `## target: description` lines of
the Makefile and its mk/ fragments: the one list behind `make help` and
the README's table of targets.

    make-help.py FILE...               the list, as `make help` prints it
    make-help.py --markdown FILE...    the README's table
    make-help.py --check README FILE...
                                       fails, showing both, unless README
                                       holds exactly that table

A target documented twice is an error, so the list stays one list.
"""
import re
import sys

LINE = re.compile(r"^## ([A-Za-z0-9_.-]+): (.+)$")
TABLE_HEAD = "| target | what it does |"


def targets(paths):
    seen = {}
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                m = LINE.match(line.rstrip("\n"))
                if m is None:
                    continue
                name, text = m.groups()
                if name in seen:
                    raise SystemExit(f"{path}:{n}: target {name} already "
                                     f"documented at {seen[name][1]}")
                seen[name] = (text.strip(), f"{path}:{n}")
    return sorted((name, text) for name, (text, _) in seen.items())


def command(name):
    # `make all` is what a bare `make` builds.
    return "make" if name == "all" else f"make {name}"


def plain(items):
    width = max(len(command(n)) for n, _ in items)
    return "".join(f"{command(n):<{width}}  {t}\n" for n, t in items)


def markdown(items):
    rows = [TABLE_HEAD, "|---|---|"]
    rows += [f"| `{command(n)}` | {t} |" for n, t in items]
    return "\n".join(rows) + "\n"


def readme_table(path):
    lines = open(path).read().splitlines()
    try:
        start = lines.index(TABLE_HEAD)
    except ValueError:
        return ""
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def main(argv):
    if argv[:1] == ["--markdown"]:
        sys.stdout.write(markdown(targets(argv[1:])))
        return 0
    if argv[:1] == ["--check"] and len(argv) > 2:
        want = markdown(targets(argv[2:]))
        got = readme_table(argv[1])
        if got == want:
            return 0
        sys.stdout.write(f"{argv[1]}'s table of targets differs from make "
                         f"help's list.\nREADME has:\n{got}\nmake help "
                         f"has (make-help.py --markdown):\n{want}")
        return 1
    if not argv or argv[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.write(plain(targets(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
