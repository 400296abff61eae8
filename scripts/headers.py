"""What the checks read in the public headers (runtime/include): shared by
check-header-names.py and check-exports.py."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# A function-like macro that declares API (MPROC__ARGS_OBJECT_API(kind)).
MACRO = re.compile(r"#define\s+(\w+)\((\w+)\)((?:[^\n]*\\\n)*[^\n]*)")


def public_headers():
    """The core's public headers, then the MPI backend's (mpi/include: its
    functions are libmproc_mpi's, declared without MPROC_API)."""
    return sorted((ROOT / "runtime" / "include").rglob("*.h")) + sorted(
        (ROOT / "mpi" / "include").rglob("*.h"))


def split(text):
    """(comments, code): the text inside comments, and the text outside them."""
    comments = " ".join(m.group(0) for m in COMMENT.finditer(text))
    return comments, COMMENT.sub(" ", text)


def expand(code):
    """@code with the uses of its API-declaring macros written out."""
    for name, param, body in MACRO.findall(code):
        if "MPROC_API" not in body:
            continue
        body = body.replace("\\\n", " ")
        for arg in re.findall(r"^\s*" + name + r"\((\w+)\)", code, re.M):
            code += "\n" + re.sub(r"\s*##\s*" + param + r"\b", arg, body)
    return code
