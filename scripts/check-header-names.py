#!/usr/bin/env python3
"""Every function a public header's comments name exists.

A comment that says "see mproc_future_status()" sends the reader to a
function; if no public header declares it, the contract is a dead end. This
reads runtime/include/**/*.h, takes each `mproc_name(` written inside a
comment, and fails when `name(` is not declared in the code (outside
comments) of some public header. Macros a comment names in call form
(MPROC_FUNCTION(...)) are upper case and not checked.

    python3 scripts/check-header-names.py              # the repository
    python3 scripts/check-header-names.py --self-test  # proves it can fail
"""
import pathlib
import re
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from headers import expand, public_headers, split  # noqa: E402

CALL = re.compile(r"\b(mproc_[a-z0-9_]+)\s*\(")


def check(headers):
    declared, named = set(), {}
    for h in headers:
        comments, code = split(h.read_text())
        declared.update(CALL.findall(expand(code)))
        for name in CALL.findall(comments):
            named.setdefault(name, h)
    missing = sorted(n for n in named if n not in declared)
    for n in missing:
        print(f"{named[n].relative_to(named[n].parents[3])}: names {n}(), "
              "which no public header declares")
    return missing


def self_test():
    with tempfile.TemporaryDirectory() as d:
        inc = pathlib.Path(d) / "runtime" / "include" / "mproc"
        inc.mkdir(parents=True)
        good = inc / "good.h"
        good.write_text("/* see mproc_real() */\nint mproc_real(void);\n")
        bad = inc / "bad.h"
        bad.write_text("/* see mproc_ghost() and mproc_real() */\n")
        if check([good]) or check([good, bad]) != ["mproc_ghost"]:
            print("self-test: the check does not tell a missing name")
            return 1
    print("header names: self-test passed (a missing name is caught)")
    return 0


def main():
    if "--self-test" in sys.argv[1:]:
        return self_test()
    headers = public_headers()
    missing = check(headers)
    if missing:
        return 1
    print(f"header names: {len(headers)} headers, every function a comment names is declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
