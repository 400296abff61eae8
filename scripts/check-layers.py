#!/usr/bin/env python3
"""Check that the runtime's layers only include downwards, and that no file
include cycle exists.  Usage: check-layers.py [--self-test]

Layers, bottom to top (a file may include its own layer or a lower one):
  0 runtime/base/   1 runtime/platform.h, platform/posix/, platform/win32/
  2 runtime/core/   3 runtime/wire/   4 runtime/shared/   5 runtime/queue/
  6 runtime/process/   7 runtime/pool/   8 runtime/wait/   9 runtime/bootstrap.c
Public headers (runtime/include/**) are the API: anyone may include them, and
they include only each other.  Inside layer 1 the OS folders may include
runtime/platform.h, never each other; platform.h includes neither.
A quoted include resolves against the file's folder, runtime/, runtime/include/.
"""
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

UNITS = [  # (path prefix, unit, layer); a prefix ending in "/" is a folder
    ("runtime/include/", "public", None),
    ("runtime/base/", "base", 0),
    ("runtime/platform.h", "platform", 1),
    ("platform/posix/", "platform/posix", 1),
    ("platform/win32/", "platform/win32", 1),
    ("runtime/core/", "core", 2),
    ("runtime/wire/", "wire", 3),
    ("runtime/shared/", "shared", 4),
    ("runtime/queue/", "queue", 5),
    ("runtime/process/", "process", 6),
    ("runtime/pool/", "pool", 7),
    ("runtime/wait/", "wait", 8),
    ("runtime/bootstrap.c", "bootstrap", 9),
]
SAME_LAYER_OK = {("platform/posix", "platform"), ("platform/win32", "platform")}
# Include cycles tolerated, each wholly inside one folder:
# (("runtime/x/a.h", "runtime/x/b.h"), "why this cycle is fine")
ALLOWED_CYCLES = []
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def unit_of(path):
    for prefix, unit, layer in UNITS:
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return unit, layer
    return None, None


def resolve(root, src, name):
    for base in (os.path.dirname(src), "runtime", "runtime/include"):
        path = os.path.normpath(os.path.join(base, name)).replace(os.sep, "/")
        if not path.startswith("../") and os.path.isfile(os.path.join(root, path)):
            return path
    return None


def cycles(graph):
    """The cycles a depth-first walk closes (each back edge one), each in
    include order from its smallest node."""
    found, state, path = [], {}, []

    def visit(v):
        state[v] = "open"
        path.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == "open":
                cycle = path[path.index(w):]
                i = cycle.index(min(cycle))
                found.append(cycle[i:] + cycle[:i])
            elif w not in state:
                visit(w)
        path.pop()
        state[v] = "done"

    for v in sorted(graph):
        if v not in state:
            visit(v)
    return found


def check(root):
    """Return (errors, number of files, number of includes)."""
    files = sorted(p.relative_to(root).as_posix() for top in ("runtime", "platform")
                   for p in Path(root, top).rglob("*.[ch]"))
    errors, graph, units, n = [], {}, {}, 0
    for src in files:
        su, sl = unit_of(src)
        if su is None:
            errors.append(f"{src}: is in no layer (add it to UNITS)")
            continue
        graph[src] = set()
        text = Path(root, src).read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            n += 1
            where, dst = f"{src}:{lineno}", resolve(root, src, m.group(1))
            if dst is None:
                errors.append(f'{where}: "{m.group(1)}" resolves to no file in the repo')
                continue
            graph[src].add(dst)
            du, dl = unit_of(dst)
            if du is None:
                errors.append(f"{where}: includes {dst}, which is in no layer")
                continue
            if du != su:
                units.setdefault(su, set()).add(du)
            if sl is None and dl is not None:
                errors.append(f"{where}: public header includes {dst}, which is not public")
            elif None not in (sl, dl) and du != su:
                if dl > sl:
                    errors.append(f"{where}: includes {dst}: layer {su} ({sl}) "
                                  f"may not include {du} ({dl})")
                elif dl == sl and (su, du) not in SAME_LAYER_OK:
                    errors.append(f"{where}: includes {dst}: {su} may not include {du} "
                                  f"(same layer {sl})")
    allowed = {frozenset(members) for members, _ in ALLOWED_CYCLES}
    for members, why in ALLOWED_CYCLES:
        if len({os.path.dirname(f) for f in members}) != 1 or not why:
            errors.append(f"ALLOWED_CYCLES: {' '.join(members)} needs one folder and a reason")
    for cycle in cycles(graph):
        if frozenset(cycle) not in allowed:
            errors.append("include cycle: " + " -> ".join(cycle + cycle[:1]))
    for cycle in cycles(units):
        errors.append("layer cycle: " + " -> ".join(cycle + cycle[:1]))
    return errors, len(files), n


def self_test(root):
    """On a copy of the tree the check passes, then catches each planted fault."""
    plants = [  # (file, line appended, how what the check must then say begins)
        ("runtime/shared/event.c", '#include "pool/pool.h"',
         ["runtime/shared/event.c:{}: includes runtime/pool/pool.h: "
          "layer shared (4) may not include pool (7)",
          "layer cycle: pool -> "]),
        ("runtime/wire/protocol.h", '#include "wire/frame.h"',
         ["include cycle: runtime/wire/frame.h -> runtime/wire/protocol.h"
          " -> runtime/wire/frame.h"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for top in ("runtime", "platform"):
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top))
        errors = check(tmp)[0]
        if errors:
            sys.exit(f"self-test: the copy fails already: {errors}")
        for path, line, expected in plants:
            text = Path(tmp, path).read_text(encoding="utf-8")
            Path(tmp, path).write_text(f"{text}{line}\n", encoding="utf-8")
            errors = check(tmp)[0]
            for start in expected:
                start = start.format(text.count("\n") + 1)
                caught = [e for e in errors if e.startswith(start)]
                if not caught:
                    sys.exit(f"self-test: missed {start!r}...; got {errors}")
                print(f"self-test: caught {caught[0]}")
            Path(tmp, path).write_text(text, encoding="utf-8")
    print("self-test: ok")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if sys.argv[1:] == ["--self-test"]:
        return self_test(root)
    if sys.argv[1:]:
        sys.exit(__doc__)
    errors, nfiles, nincludes = check(root)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(f"layers: {len(errors)} problem(s)")
    print(f"layers: {nfiles} files, {nincludes} includes, no upward include, no cycle")


if __name__ == "__main__":
    main()
