#!/usr/bin/env bash
# The MSVC stand-in (CI cannot run MSVC): clang-cl in MSVC mode compiles every
# C file a Windows build compiles, syntax and semantics only (/Zs: no code, no
# link), at MSVC's /W4 /WX plus the clang warnings that stand for MSVC's
# conversion warnings; then a token check for the /W4 warnings clang lacks.
#   bash scripts/msvc-check.sh       (MPROC_MINGW_PREFIX: the mingw APR/CUnit
#                                     build; default: scripts/mingw-deps.sh's)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${MPROC_MINGW_PREFIX:-$(bash scripts/mingw-deps.sh | tail -1)}

# The SDK stand-in: mingw-w64's headers and the mingw builds of APR and CUnit.
# mingw's headers take their MSVC paths when __GNUC__ is not defined, and those
# do not parse under clang (_mingw.h puts __declspec(noreturn) after the
# declarator and defines __attribute__(x) away, breaking clang's intrinsics
# headers). So the GCC paths, with _MSC_VER still defined and the MS ABI:
#   -fgnuc-version=4.2.1     defines __GNUC__ as clang's GNU mode does;
#   -D__declspec=__declspec  _mingw.h tests "#ifdef __declspec" (a macro under
#                            GCC, a keyword here) before defining _CRTIMP;
#   -Iscripts/msvc-shim      an <intrin.h> for runtime/base/atomic.h: clang's
#                            own clashes with mingw's CRT headers.
# (mproc's own code tests __GNUC__ only together with __clang__, so defining
# it changes nothing there.)
# /X: no %INCLUDE% from the environment.
sdk=(/X -Xclang -fgnuc-version=4.2.1 -D__declspec=__declspec -Iscripts/msvc-shim
  -imsvc /usr/share/mingw-w64/include -imsvc "$prefix/include/apr-1" -imsvc "$prefix/include")
# What CMake defines for Windows: everywhere (Warnings.cmake; FindAPR.cmake for
# a static APR), and for the library's own objects (CMakeLists.txt).
defs=(-DAPR_DECLARE_STATIC -D_CRT_SECURE_NO_WARNINGS)
lib_defs=(-D_WIN32_WINNT=0x0601 -DWIN32_LEAN_AND_MEAN -DMPROC_BUILDING)
# clang-cl's /W4 is clang's -Wall -Wextra, without MSVC's conversion warnings:
#   -Wshorten-64-to-32         C4267 (size_t to a 32-bit type) and C4244's
#                              __int64 to int: the LLP64 narrowing x64 adds;
#   -Wimplicit-int-conversion  C4244 int to short/char, e.g. uint8_t = int;
#   -Wfloat-conversion, -Wimplicit-float-conversion
#                              C4244 double to an integer or to float;
#   -Wshadow                   C4456/C4457/C4459 (a name hides another);
#   -Wpedantic, -Wvla          GNU C and VLAs: clang-cl accepts them, MSVC's
#                              C compiler does not (they would be errors).
# Not -Wconversion or -Wsign-conversion: their signedness changes are C4245/
# C4365, off at /W4, and would drown the real findings.
warn=(/W4 /WX -Wshorten-64-to-32 -Wimplicit-int-conversion -Wfloat-conversion
  -Wimplicit-float-conversion -Wshadow -Wpedantic -Wvla)
cl() { clang-cl-14 /nologo /TC /std:c11 /Zs "${sdk[@]}" "${defs[@]}" "${warn[@]}" "$@"; }

# The flags must catch C4267: a size_t narrowed to 32 bits does not compile.
probe=$(mktemp --suffix=.c)
trap 'rm -f "$probe"' EXIT
printf '#include <string.h>\nunsigned f(const char *s) { return strlen(s); }\n' >"$probe"
if cl "$probe" 2>/dev/null; then
  echo "msvc-check: the flags miss C4267" >&2
  exit 1
fi

mapfile -t lib < <(git ls-files 'runtime/*.c' 'platform/win32/*.c')
# (fuzz, darwin: Linux only; the MPI backend's files apart, below)
mapfile -t tests < <(git ls-files 'tests/*.c' ':!tests/fuzz/*' ':!tests/darwin/*' \
  ':!tests/mpi/*' ':!tests/consumer/mpi_main.c')
mapfile -t bench < <(git ls-files 'bench/*.c' ':!bench/mpi.c')
mapfile -t examples < <(git ls-files 'examples/*.c')
# The MPI backend, its tests, consumer and benchmark, against a stand-in of
# MS-MPI's <mpi.h> (scripts/msvc-shim/mpi: this machine has no MS-MPI SDK).
mapfile -t mpi < <(git ls-files 'mpi/*.c' 'tests/mpi/*.c' tests/consumer/mpi_main.c bench/mpi.c)
cl "${lib_defs[@]}" -Iruntime -Iruntime/include "${lib[@]}"
cl -Iruntime -Iruntime/include -Itests -DMPROC_TEST_PROJECT_VERSION=\"0.0.0\" "${tests[@]}"
cl -Iruntime -Iruntime/include "${bench[@]}"
cl -Iruntime/include "${examples[@]}"
cl -Iscripts/msvc-shim/mpi -Iruntime/include -Impi/include -Impi -Itests "${mpi[@]}"
echo "msvc-check: clang-cl /W4 clean: ${#lib[@]} library, ${#tests[@]} test," \
  "${#bench[@]} bench, ${#examples[@]} example and ${#mpi[@]} MPI backend files"

# MSVC /W4 warnings clang has no equivalent for, found in the tokens:
#   C4706  an assignment used as a truth value: if (x = f()), !(x = f()),
#          (st = f()) || ...; write (x = f()) != NULL, (st = f()) != MPROC_OK;
#   C4127  a constant if/while condition, e.g. if (sizeof(size_t) > 4): #if.
# --self-test feeds it a sample with four findings, so that it can fail.
# Not covered anywhere here: C4701/C4703/C4702, which come from MSVC's own
# flow analysis (clang's differs), MSVC's headers and code generation: the
# windows job of .github/workflows/ci.yml is the real MSVC.
tokens_check() {
  python3 - "$@" <<'EOF'
import re, sys
TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(\\.|[^"\\\n])*"|\'(\\.|[^\'\\\n])*\'|^[ \t]*#(\\\n|[^\n])*'
                   r'|[A-Za-z_]\w*|\d[\w.]*|<<=|>>=|->|&&|\|\||[-+*/%&|^!=<>]=|<<|>>|\+\+|--|\S',
                   re.S | re.M)
ASSIGN = {'=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>='}
LOGIC = {'&&', '||'}
EDGE = {'(', ')', ',', ';', '?', ':', 'return'} | ASSIGN | LOGIC  # looser than && and ||

def check(path, text):
    toks = [(m.group(), text.count('\n', 0, m.start()) + 1) for m in TOKEN.finditer(text)
            if m.group()[0] not in '"\'#' and not m.group().startswith(('//', '/*'))]
    t = [tok for tok, _ in toks] + ['']
    close, stack, truth, found = {}, [], set(), []
    for i, tok in enumerate(t):
        if tok == '(':
            stack.append(i)
        elif tok == ')' and stack:
            close[stack.pop()] = i

    def level(i):  # the tokens of group i at its own depth
        depth = 0
        for k in range(i + 1, close[i]):
            depth -= t[k] in ')]}'
            if depth == 0:
                yield k
            depth += t[k] in '([{'

    for i in sorted(close):
        prev, nxt = t[i - 1] if i else '', t[close[i] + 1]
        cond = prev in ('if', 'while')
        if prev == 'for':
            semis = [k for k in level(i) if t[k] == ';'] + [i, i]
            tested = [k for k in level(i) if semis[0] < k < semis[1]]
        elif cond or prev == '!' or (prev == '(' and nxt == ')' and i - 1 in truth) or (
                prev in EDGE and nxt in EDGE and (prev in LOGIC or nxt in LOGIC or nxt == '?')):
            truth.add(i)
            tested = list(level(i))
        else:
            tested = []
        found += [(toks[k][1], 'C4706: an assignment used as a truth value; compare it')
                  for k in tested if t[k] in ASSIGN]
        inner = re.sub(r'sizeof (\( [^()]* \)|\w+)', '0', ' '.join(t[i + 1:close[i]]))
        if cond and not re.search(r'[A-Za-z_]', inner) and inner not in ('0', '1'):
            found.append((toks[i][1], 'C4127: a constant condition; use #if'))
    for line, what in sorted(found):
        print(f'{path}:{line}: {what}')
    return len(found)

SAMPLE = '''void f(void) { int x; char *p;
  if ((x = g()) != 0 && (p = h()) != NULL) {}  /* fine */
  for (x = 0; x < 3; x++) {}                   /* fine */
  do {} while (0);                             /* fine */
  if (!(p = h()) || (x = g()) || sizeof(x) > 2) {}  /* C4706 twice */
  while (x = g()) {}                           /* C4706 */
  if (sizeof(size_t) > 4) {}                   /* C4127 */
}'''
if sys.argv[1:] == ['--self-test']:
    sys.exit(0 if check('sample', SAMPLE) == 4 else 1)
sys.exit(1 if sum(check(p, open(p).read()) for p in sys.argv[1:]) else 0)
EOF
}
tokens_check --self-test >/dev/null || {
  echo "msvc-check: the C4706/C4127 check misses its sample" >&2
  exit 1
}
mapfile -t sources < <(git ls-files 'runtime/*.[ch]' 'platform/win32/*.[ch]' 'tests/*.[ch]' \
  'bench/*.[ch]' 'examples/*.[ch]')
tokens_check "${sources[@]}"
echo "msvc-check: no C4706/C4127 patterns"
