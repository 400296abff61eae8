# shellcheck shell=sh
# Wine environment for running the mingw-w64 cross-compiled tests.
#
# Source it (POSIX sh compatible):
#     . scripts/wine-env.sh
#     ctest --test-dir build-mingw --output-on-failure
#
# Exports WINEDEBUG, WINEPREFIX, WINEDLLOVERRIDES, WINEPATH and creates the
# 64-bit prefix once (wineboot --init, no GUI, no stdin needed). Concurrent
# first-time callers are serialised with flock. An already set WINEPREFIX or
# WINEDEBUG is respected.
#
# It then "warms" wine: starts a wineserver that lingers MPROC_WINE_PERSIST
# seconds (default 600; 0 = skip) after the last Windows process exits, plus
# wine's background services, all with stdin/stdout/stderr on /dev/null.
# Why: the first wine process of a session spawns services.exe, explorer.exe,
# etc., which inherit ITS stdout/stderr and live as long as the wineserver.
# Under ctest that test's output pipe then stays open until the server quits,
# so every test takes ~2.5 s instead of ~0.05 s. Source this file again right
# before ctest if more than MPROC_WINE_PERSIST seconds may have passed.

export WINEDEBUG="${WINEDEBUG:--all}"
export WINEPREFIX="${WINEPREFIX:-${HOME}/.cache/mproc/wineprefix}"
# Empty override = "disabled": never offers to install Mono / Gecko.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"

# Let non-static binaries/DLLs (e.g. BUILD_SHARED_LIBS=ON) find mingw's
# runtime DLLs (libgcc_s_seh-1, libstdc++-6, libwinpthread-1) via Z:\.
_mproc_add_winepath() {
    [ -d "$1" ] || return 0
    # shellcheck disable=SC1003 # '\\' is a literal backslash for tr
    _mproc_w="Z:$(printf '%s' "$1" | tr '/' '\\')"
    case ";${WINEPATH:-};" in
        *";${_mproc_w};"*) ;;
        *) WINEPATH="${WINEPATH:+${WINEPATH};}${_mproc_w}" ;;
    esac
}
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    _mproc_d=$(x86_64-w64-mingw32-gcc -print-file-name=libgcc_s_seh-1.dll 2>/dev/null)
    [ -f "${_mproc_d}" ] && _mproc_add_winepath "$(dirname "${_mproc_d}")"
fi
_mproc_add_winepath /usr/x86_64-w64-mingw32/lib
[ -n "${WINEPATH:-}" ] && export WINEPATH
unset -f _mproc_add_winepath
unset _mproc_w _mproc_d

_mproc_wine_init() {
    if ! command -v wine >/dev/null 2>&1 || ! command -v wineboot >/dev/null 2>&1; then
        echo "wine-env.sh: wine not installed (run scripts/mingw-deps.sh)" >&2
        return 1
    fi
    [ -f "${WINEPREFIX}/system.reg" ] && [ -f "${WINEPREFIX}/.mproc-wineboot-done" ] && return 0

    mkdir -p "$(dirname "${WINEPREFIX}")" || return 1
    _mproc_lock="$(dirname "${WINEPREFIX}")/.$(basename "${WINEPREFIX}").lock"
    (
        if command -v flock >/dev/null 2>&1; then
            flock 9 || exit 1
        fi
        # Re-check under the lock: another process may have finished it.
        if [ -f "${WINEPREFIX}/system.reg" ] && [ -f "${WINEPREFIX}/.mproc-wineboot-done" ]; then
            exit 0
        fi
        echo "wine-env.sh: initialising wine prefix ${WINEPREFIX} (one-time)" >&2
        # No DISPLAY: wine runs headless; keep it from trying an X server.
        env -u DISPLAY WINEARCH="${WINEARCH:-win64}" wineboot --init </dev/null >/dev/null 2>&1 || {
            echo "wine-env.sh: wineboot --init failed" >&2
            exit 1
        }
        # Wait for wineserver to flush the registry and exit.
        wineserver -w </dev/null >/dev/null 2>&1 || true
        [ -f "${WINEPREFIX}/system.reg" ] || {
            echo "wine-env.sh: ${WINEPREFIX}/system.reg missing after wineboot" >&2
            exit 1
        }
        : > "${WINEPREFIX}/.mproc-wineboot-done"
    ) 9>"${_mproc_lock}"
}

_mproc_wine_warm() {
    _mproc_p="${MPROC_WINE_PERSIST:-600}"
    [ "${_mproc_p}" = 0 ] && return 0
    # Fails harmlessly (exit 2) if a server for this prefix already runs.
    wineserver -p"${_mproc_p}" </dev/null >/dev/null 2>&1 || true
    env -u DISPLAY wine cmd.exe /c exit </dev/null >/dev/null 2>&1 || true
    return 0
}

_mproc_wine_init && _mproc_wine_warm
_mproc_wine_rc=$?
unset -f _mproc_wine_init _mproc_wine_warm
unset _mproc_lock _mproc_p
if [ "${_mproc_wine_rc}" -ne 0 ]; then
    unset _mproc_wine_rc
    # 'return' when sourced, 'exit' when executed directly.
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi
unset _mproc_wine_rc
