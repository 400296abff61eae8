#!/usr/bin/env bash
# Build Windows (mingw-w64, x86_64) static libraries of APR 1.7 and CUnit 2.1
# from Debian's *source* packages, into a cache directory outside the repo.
#
# Usage:
#   PREFIX=$(scripts/mingw-deps.sh | tail -1)
#
# Environment:
#   MPROC_MINGW_PREFIX  install prefix (default:
#                       $HOME/.cache/mproc/mingw-<aprver>-<cunitver>)
#   MPROC_MINGW_WORKDIR scratch dir for sources/builds (default:
#                       $HOME/.cache/mproc/mingw-build)
#   MPROC_JOBS          parallel jobs (default: 2)
#
# Result layout:
#   <prefix>/include/apr-1/*.h   APR public headers (incl. generated win32 apr.h)
#   <prefix>/lib/libapr-1.a
#   <prefix>/include/CUnit/*.h
#   <prefix>/lib/libcunit.a
#   <prefix>/lib/pkgconfig/{apr-1,cunit}.pc
#   <prefix>/build-info.txt      versions + flags used
#   <prefix>/.done               stamp; if present the script exits at once
#
# Consumers compile with -DAPR_DECLARE_STATIC -I<prefix>/include/apr-1
# -I<prefix>/include and link
#   -L<prefix>/lib -lcunit -lapr-1 -lws2_32 -lrpcrt4 -lmswsock -ladvapi32
#   -lshell32 -liphlpapi
#
# Needs root for the apt steps (skipped when everything is already present).
# The prefix is printed as the LAST line of stdout; all logs go to stderr.
set -euo pipefail

JOBS="${MPROC_JOBS:-2}"
CACHE_ROOT="${HOME}/.cache/mproc"
WORKDIR="${MPROC_MINGW_WORKDIR:-${CACHE_ROOT}/mingw-build}"
TRIPLET=x86_64-w64-mingw32
CC_W="${TRIPLET}-gcc"
AR_W="${TRIPLET}-ar"
RANLIB_W="${TRIPLET}-ranlib"

log() { printf '[mingw-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Fast path: explicit prefix already built -> no apt, no network.
if [[ -n "${MPROC_MINGW_PREFIX:-}" && -f "${MPROC_MINGW_PREFIX}/.done" ]]; then
    printf '%s\n' "${MPROC_MINGW_PREFIX}"
    exit 0
fi

# One instance at a time (parallel CI jobs on one machine, etc.).
mkdir -p "${CACHE_ROOT}"
if command -v flock >/dev/null 2>&1; then
    exec 8>"${CACHE_ROOT}/.mingw-deps.lock"
    flock 8
fi

APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
export DEBIAN_FRONTEND=noninteractive

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo env DEBIAN_FRONTEND=noninteractive "$@"
    else
        die "need root for: $*"
    fi
}

# ---------------------------------------------------------------------------
# 1. Tool packages
# ---------------------------------------------------------------------------
APT_PACKAGES=(
    gcc-mingw-w64-x86-64      # x86_64-w64-mingw32-gcc (+ mingw-w64-x86-64-dev)
    binutils-mingw-w64-x86-64 # x86_64-w64-mingw32-ar/ranlib/windres
    wine                      # /usr/bin/wine wrapper
    wine64                    # 64-bit loader, runs x86_64 .exe
    cmake
    make
    gcc                       # native gcc for APR's gen_test_char
    libc6-dev
    dpkg-dev                  # dpkg-source, used by apt-get source
)

tools_present() {
    local c
    for c in "${CC_W}" "${AR_W}" "${RANLIB_W}" "${TRIPLET}-windres" \
             wine wineboot wineserver cmake make gcc dpkg-source; do
        command -v "$c" >/dev/null 2>&1 || return 1
    done
    [[ -x /usr/lib/wine/wine64 ]] || return 1
    # libc6-dev is what gives the native gcc its headers.
    [[ -f /usr/include/stdio.h ]] || return 1
    return 0
}

APT_UPDATED=0
apt_update() {
    log "apt-get update"
    as_root apt-get "${APT_OPTS[@]}" update -qq >&2
    APT_UPDATED=1
}

if tools_present; then
    log "toolchain already installed; skipping apt-get install"
else
    apt_update
    log "apt-get install ${APT_PACKAGES[*]}"
    as_root apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends \
        "${APT_PACKAGES[@]}" >&2
    tools_present || die "tools still missing after apt-get install"
fi

# ---------------------------------------------------------------------------
# 2. deb-src entries (apt-get source needs them)
# ---------------------------------------------------------------------------
have_deb_src() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] && grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] && grep -Eq '^Types:.*\bdeb-src\b' "$f" && return 0
    done
    return 1
}

if have_deb_src; then
    log "deb-src already configured"
else
    src=/etc/apt/sources.list.d/debian.sources
    dst=/etc/apt/sources.list.d/mproc-deb-src.sources
    if [[ -f "$src" ]]; then
        log "adding $dst (deb-src copy of $src)"
        sed -E 's/^Types:.*/Types: deb-src/' "$src" | as_root tee "$dst.tmp" >/dev/null
        as_root mv "$dst.tmp" "$dst"
    elif [[ -f /etc/apt/sources.list ]] && grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
        dst=/etc/apt/sources.list.d/mproc-deb-src.list
        log "adding $dst (deb-src copy of /etc/apt/sources.list)"
        sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' /etc/apt/sources.list \
            | as_root tee "$dst.tmp" >/dev/null
        as_root mv "$dst.tmp" "$dst"
    else
        die "no deb-src configured and no Debian sources file to copy"
    fi
    APT_UPDATED=0
fi

# Version that `apt-get source PKG` would fetch, from the .dsc file name.
src_version() {
    local dsc
    dsc=$(apt-get --print-uris source "$1" 2>/dev/null \
          | awk '$2 ~ /\.dsc$/ { print $2; exit }') || true
    [[ -n "$dsc" ]] || return 1
    dsc=${dsc%.dsc}                       # apr_1.7.2-3+deb12u1
    printf '%s\n' "${dsc#*_}"
}

APR_VER=$(src_version apr || true)
CUNIT_VER=$(src_version cunit || true)
if [[ -z "$APR_VER" || -z "$CUNIT_VER" ]]; then
    [[ $APT_UPDATED -eq 1 ]] || apt_update
    APR_VER=$(src_version apr) || die "cannot find source package apr"
    CUNIT_VER=$(src_version cunit) || die "cannot find source package cunit"
fi
log "Debian sources: apr ${APR_VER}, cunit ${CUNIT_VER}"

PREFIX="${MPROC_MINGW_PREFIX:-${CACHE_ROOT}/mingw-${APR_VER}-${CUNIT_VER}}"
if [[ -f "${PREFIX}/.done" ]]; then
    log "already built: ${PREFIX}"
    printf '%s\n' "${PREFIX}"
    exit 0
fi

# ---------------------------------------------------------------------------
# 3. Fetch + unpack sources (Debian patches applied by dpkg-source)
# ---------------------------------------------------------------------------
SRC_DIR="${WORKDIR}/src-${APR_VER}-${CUNIT_VER}"
BUILD_DIR="${WORKDIR}/build-${APR_VER}-${CUNIT_VER}"
mkdir -p "$SRC_DIR"

fetch_source() { # pkg version -> prints unpacked dir
    local pkg=$1 ver=$2 upver dir
    upver=${ver#*:}
    upver=${upver%-*}
    dir="${SRC_DIR}/${pkg}-${upver}"
    if [[ ! -f "${dir}/.unpacked" ]]; then
        rm -rf "$dir"
        log "apt-get source ${pkg}=${ver}"
        # _apt cannot read $HOME/.cache, so download as the invoking user.
        (cd "$SRC_DIR" && apt-get -q -o APT::Sandbox::User="$(id -un)" \
            source "${pkg}=${ver}" >&2)
        [[ -d "$dir" ]] || die "expected ${dir} after apt-get source"
        touch "${dir}/.unpacked"
    fi
    printf '%s\n' "$dir"
}

APR_SRC=$(fetch_source apr "$APR_VER")
CUNIT_SRC=$(fetch_source cunit "$CUNIT_VER")

# Never wipe a directory this script did not create (MPROC_MINGW_PREFIX=/usr…).
if [[ -d "${PREFIX}" && -n "$(ls -A "${PREFIX}")" && ! -f "${PREFIX}/.mproc-mingw-prefix" ]]; then
    die "${PREFIX} exists, is not empty and was not made by this script"
fi
rm -rf "$BUILD_DIR" "${PREFIX}"
mkdir -p "$BUILD_DIR" "${PREFIX}/include/apr-1" "${PREFIX}/include/CUnit" "${PREFIX}/lib"
: > "${PREFIX}/.mproc-mingw-prefix"

# ---------------------------------------------------------------------------
# 4. APR -> libapr-1.a (static target of APR's own CMakeLists.txt)
# ---------------------------------------------------------------------------
# - mingw needs the full windows/winsock headers before apr.h (apr.h would
#   otherwise pull in a WIN32_LEAN_AND_MEAN windows.h that lacks what APR's
#   win32 sources use).
# - FD_SETSIZE=1024: APR's poll/*.c define FD_SETSIZE 1024 *after* our forced
#   winsock2.h include; keep fd_set and APR's bound checks in agreement.
# - USE_ATOMICS_GENERIC: with gcc, include/arch/unix/apr_arch_atomic.h picks
#   USE_ATOMICS_IA32 + NEED_ATOMICS_GENERIC64, making atomic/win32/apr_atomic.c
#   call apr__atomic_generic64_init(), which only exists in
#   atomic/unix/mutex64.c (which also duplicates every apr_atomic_*64 already
#   in atomic/win32/apr_atomic64.c). With USE_ATOMICS_GENERIC that header is a
#   no-op and the win32 Interlocked* implementations are used for everything.
APR_BUILD="${BUILD_DIR}/apr"
APR_CFLAGS="-O2 -include winsock2.h -include ws2tcpip.h -include mswsock.h"
APR_CFLAGS+=" -include windows.h -include iphlpapi.h"
APR_CFLAGS+=" -DFD_SETSIZE=1024 -DUSE_ATOMICS_GENERIC"

log "configuring APR (${APR_SRC})"
cmake -S "$APR_SRC" -B "$APR_BUILD" \
    -DCMAKE_SYSTEM_NAME=Windows \
    -DCMAKE_SYSTEM_PROCESSOR=x86_64 \
    -DCMAKE_C_COMPILER="$CC_W" \
    -DCMAKE_RC_COMPILER="${TRIPLET}-windres" \
    -DCMAKE_AR="$(command -v "$AR_W")" \
    -DCMAKE_RANLIB="$(command -v "$RANLIB_W")" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$APR_CFLAGS" \
    -DCMAKE_C_FLAGS_RELEASE="-DNDEBUG" \
    -DINSTALL_PDB=OFF \
    -DAPR_BUILD_TESTAPR=OFF \
    -G "Unix Makefiles" >&2

# apr.hwc is written for MSVC and claims there is no strcasecmp/strncasecmp,
# so apr_general.h #defines them to stricmp/strnicmp -- which clashes with
# mingw's own string.h macros ("strcasecmp" redefined warnings in every
# consumer, fatal with -Werror). mingw-w64 has both functions.
sed -i -E \
    -e 's/^(#define APR_HAVE_STRCASECMP[[:space:]]+)0/\11/' \
    -e 's/^(#define APR_HAVE_STRNCASECMP[[:space:]]+)0/\11/' \
    "${APR_BUILD}/apr.h"
grep -Eq '^#define APR_HAVE_STRCASECMP[[:space:]]+1' "${APR_BUILD}/apr.h" \
    || die "could not adjust APR_HAVE_STRCASECMP in apr.h"

# apr_escape_test_char.h is produced by running gen_test_char, which the
# cross build compiles as a Windows .exe that cannot run here. Build that
# target first, then generate the header with a native build of the same
# tool (-DWIN32 selects the Windows escape tables) so it is newer than the
# .exe and make considers it up to date.
log "building gen_test_char (cross) + apr_escape_test_char.h (native)"
make -C "$APR_BUILD" gen_test_char >&2
gcc -O1 -DWIN32 -o "${APR_BUILD}/gen_test_char.native" "${APR_SRC}/tools/gen_test_char.c"
"${APR_BUILD}/gen_test_char.native" > "${APR_BUILD}/apr_escape_test_char.h.tmp"
mv "${APR_BUILD}/apr_escape_test_char.h.tmp" "${APR_BUILD}/apr_escape_test_char.h"
touch "${APR_BUILD}/apr_escape_test_char.h"

log "building APR static library (make -j${JOBS} apr-1)"
make -C "$APR_BUILD" -j"$JOBS" apr-1 >&2

# Sanity: no unresolved APR-internal symbols left behind.
if "${TRIPLET}-nm" "${APR_BUILD}/libapr-1.a" 2>/dev/null | grep -Eq ' U apr__'; then
    die "libapr-1.a references undefined internal apr__ symbols"
fi

install -m 0644 "${APR_BUILD}/libapr-1.a" "${PREFIX}/lib/libapr-1.a"
install -m 0644 "${APR_BUILD}/apr.h" "${PREFIX}/include/apr-1/apr.h"
for h in "${APR_SRC}"/include/apr_*.h; do
    install -m 0644 "$h" "${PREFIX}/include/apr-1/"
done

# ---------------------------------------------------------------------------
# 5. CUnit -> libcunit.a (no autotools)
# ---------------------------------------------------------------------------
CU_BUILD="${BUILD_DIR}/cunit"
mkdir -p "${CU_BUILD}/CUnit"
cfg="${CUNIT_SRC}/configure.in"
[[ -f "$cfg" ]] || cfg="${CUNIT_SRC}/configure.ac"
cu_major=$(sed -n 's/^VERSION_MAJOR=//p' "$cfg" | head -1)
cu_minor=$(sed -n 's/^VERSION_MINOR=//p' "$cfg" | head -1)
cu_release=$(sed -n 's/^RELEASE=//p' "$cfg" | head -1)
[[ -n "$cu_major" && -n "$cu_minor" && -n "$cu_release" ]] || die "cannot parse CUnit version from $cfg"
log "building CUnit ${cu_major}.${cu_minor}-${cu_release}"

for h in "${CUNIT_SRC}"/CUnit/Headers/*.h; do
    [[ "$(basename "$h")" == CUnit.h ]] && continue   # stale copy; use .in
    install -m 0644 "$h" "${CU_BUILD}/CUnit/"
done
sed -e "s/@VERSION@/${cu_major}.${cu_minor}/g" -e "s/@RELEASE@/${cu_release}/g" \
    "${CUNIT_SRC}/CUnit/Headers/CUnit.h.in" > "${CU_BUILD}/CUnit/CUnit.h"

cu_objs=()
cu_pids=()
for c in "${CUNIT_SRC}"/CUnit/Sources/{Framework,Basic,Automated,Console}/*.c; do
    o="${CU_BUILD}/$(basename "${c%.c}").o"
    cu_objs+=("$o")
    "$CC_W" -O2 -DNDEBUG -std=gnu99 -I"${CU_BUILD}/CUnit" -I"${CU_BUILD}" \
        -c "$c" -o "$o" >&2 &
    cu_pids+=($!)
    # keep at most $JOBS compilers running
    if (( ${#cu_pids[@]} >= JOBS )); then
        wait "${cu_pids[0]}"
        cu_pids=("${cu_pids[@]:1}")
    fi
done
for p in "${cu_pids[@]}"; do wait "$p"; done
rm -f "${CU_BUILD}/libcunit.a"
"$AR_W" rcs "${CU_BUILD}/libcunit.a" "${cu_objs[@]}"

install -m 0644 "${CU_BUILD}/libcunit.a" "${PREFIX}/lib/libcunit.a"
install -m 0644 "${CU_BUILD}"/CUnit/*.h "${PREFIX}/include/CUnit/"

# ---------------------------------------------------------------------------
# 6. pkg-config files (the toolchain file points PKG_CONFIG_LIBDIR here)
# ---------------------------------------------------------------------------
mkdir -p "${PREFIX}/lib/pkgconfig"
apr_upver=${APR_VER#*:}; apr_upver=${apr_upver%-*}
cat > "${PREFIX}/lib/pkgconfig/apr-1.pc" <<EOF
prefix=${PREFIX}
libdir=\${prefix}/lib
includedir=\${prefix}/include/apr-1

Name: APR
Description: Apache Portable Runtime (static, mingw-w64, Debian ${APR_VER})
Version: ${apr_upver}
Cflags: -DAPR_DECLARE_STATIC -I\${includedir}
Libs: -L\${libdir} -lapr-1 -lws2_32 -lrpcrt4 -lmswsock -ladvapi32 -lshell32 -liphlpapi
EOF
cat > "${PREFIX}/lib/pkgconfig/cunit.pc" <<EOF
prefix=${PREFIX}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: CUnit
Description: CUnit unit testing framework (static, mingw-w64, Debian ${CUNIT_VER})
Version: ${cu_major}.${cu_minor}-${cu_release}
Cflags: -I\${includedir}
Libs: -L\${libdir} -lcunit
EOF

# ---------------------------------------------------------------------------
# 7. Done
# ---------------------------------------------------------------------------
{
    echo "apr=${APR_VER}"
    echo "cunit=${CUNIT_VER}"
    echo "cc=$("$CC_W" --version | head -1)"
    echo "apr_cflags=${APR_CFLAGS}"
    echo "consumer_cflags=-DAPR_DECLARE_STATIC -I${PREFIX}/include/apr-1 -I${PREFIX}/include"
    echo "consumer_libs=-L${PREFIX}/lib -lcunit -lapr-1 -lws2_32 -lrpcrt4 -lmswsock -ladvapi32 -lshell32 -liphlpapi"
} > "${PREFIX}/build-info.txt"
touch "${PREFIX}/.done"
log "installed into ${PREFIX}"
printf '%s\n' "${PREFIX}"
