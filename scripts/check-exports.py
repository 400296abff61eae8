#!/usr/bin/env python3
"""A shared libmproc exports exactly the functions the public headers declare.

Symbols are hidden by default and MPROC_API shows them (mproc/export.h):
this compares the library's dynamic symbol table (nm -D) with every
function declared MPROC_API in runtime/include. A function declared and not
exported cannot be linked by a program; a symbol exported and not declared
is an internal leaking into the ABI.

    python3 scripts/check-exports.py build/shared/libmproc.so
    python3 scripts/check-exports.py build/mingw-shared/libmproc.dll
    python3 scripts/check-exports.py --self-test
"""
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from headers import expand, public_headers, split  # noqa: E402

DECL = re.compile(r"\bMPROC_API\b[^;{]*?\b(mproc_[a-z0-9_]+)\s*\(", re.S)


def declared(headers):
    names = set()
    for h in headers:
        names.update(DECL.findall(expand(split(h.read_text())[1])))
    return names


def exported(lib):
    if str(lib).endswith(".dll"):  # a PE export table (mingw-w64's objdump)
        out = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(lib)], check=True,
                             capture_output=True, text=True).stdout
        table = out.split("[Ordinal/Name Pointer] Table", 1)[-1].split("\n\n", 1)[0]
        return {line.split()[-1] for line in table.splitlines() if line.strip()}
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRVWiu":
            names.add(parts[2].split("@")[0])
    return names


def compare(decl, exp):
    """The problems, as lines."""
    # The runtime's own symbols: only mproc_ names are ours; the C library's
    # and the toolchain's (_init, _fini, __bss_start...) are not checked.
    ours = {n for n in exp if n.startswith("mproc")}
    problems = [f"declared MPROC_API but not exported: {n}" for n in sorted(decl - ours)]
    problems += [f"exported but not declared in a public header: {n}" for n in sorted(ours - decl)]
    return problems


def self_test():
    decl = {"mproc_a", "mproc_b"}
    if compare(decl, {"mproc_a", "mproc_b", "_init"}):
        print("self-test: a matching library was flagged")
        return 1
    if len(compare(decl, {"mproc_a", "mproc__internal"})) != 2:
        print("self-test: a missing and a leaked symbol were not both caught")
        return 1
    print("exports: self-test passed (a missing and a leaked symbol are caught)")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    decl = declared(public_headers())
    problems = compare(decl, exported(sys.argv[1]))
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"exports: {len(decl)} functions, exactly those the headers declare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
