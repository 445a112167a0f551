#!/usr/bin/env bash
# Smoke test of the frozen app (dist/trainer/trainer by default): its self-test, then the window
# offscreen (and under Xvfb with the real xcb plugin when xvfb-run is installed), each until it
# exits by itself. Fails on a non-zero exit or on any traceback, missing module or Qt plugin
# message in the output, the failures a frozen build hides until it runs on a user's machine.
#
#   bash packaging/smoke_test.sh [path/to/trainer]
set -euo pipefail
cd "$(dirname "$0")/.."

APP="${1:-dist/trainer/trainer}"
if [[ ! -x "$APP" ]]; then
    echo "smoke: $APP not found; build it with: uv run --group build pyinstaller --noconfirm build.spec" >&2
    exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# A clean user: no data, no cache, no remembered model; nothing of the build machine's.
export TRAINER_DATA_DIR="$WORK/data" TRAINER_CACHE_DIR="$WORK/cache" HOME="$WORK/home"
unset TRAINER_MODEL TRAINER_DRILLS_DIR
mkdir -p "$HOME"

# What a broken bundle prints: Python errors, and Qt's plugin loader complaining.
BAD='Traceback|ModuleNotFoundError|ImportError|No module named|Could not (load|find) the Qt platform plugin|no Qt platform plugin could be initialized|Cannot load library|qt\.qpa\.plugin|Failed to (load|extract)|\[PYI-[0-9]+:ERROR\]'
failed=0

check_log() {  # name log exit-code
    local name=$1 log=$2 code=$3
    if [[ "$code" != 0 ]]; then
        echo "smoke: FAIL $name exited with $code" >&2
        failed=1
    fi
    if grep -nE "$BAD" "$log" >&2; then
        echo "smoke: FAIL $name printed an error (above)" >&2
        failed=1
    fi
    [[ "$code" == 0 ]] && ! grep -qE "$BAD" "$log" && echo "smoke: ok   $name"
    return 0
}

# 1. The self-test, without network when this machine can make a network namespace: the
#    frozen app must not need it either.
NO_NET=()
if command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
    NO_NET=(unshare -n)
fi
start=$(date +%s)
set +e
timeout 300 "${NO_NET[@]}" "$APP" --selftest >"$WORK/selftest.log" 2>&1
code=$?
set -e
sed 's/^/    /' "$WORK/selftest.log"
echo "smoke: selftest took $(( $(date +%s) - start )) s${NO_NET:+ (no network: unshare -n)}"
check_log "selftest" "$WORK/selftest.log" "$code"

# 2. The window, offscreen: it loads the speech model, grabs a screenshot and quits.
run_window() {  # name, then the command prefix
    local name=$1
    shift
    local shot="$WORK/$name.png"
    set +e
    TRAINER_SCREENSHOT="$shot" timeout 180 "$@" "$APP" >"$WORK/$name.log" 2>&1
    local code=$?
    set -e
    sed 's/^/    /' "$WORK/$name.log"
    if [[ "$code" == 0 && ! -s "$shot" ]]; then
        echo "smoke: FAIL $name saved no screenshot" >&2
        failed=1
    fi
    check_log "$name" "$WORK/$name.log" "$code"
}
run_window offscreen env QT_QPA_PLATFORM=offscreen

# 3. The real X11 plugin under a virtual display, where available: it needs system libraries
#    (libxcb-cursor0 and friends) that the offscreen plugin does not.
if command -v xvfb-run >/dev/null 2>&1; then
    run_window xcb xvfb-run -a env QT_QPA_PLATFORM=xcb
else
    echo "smoke: skip xcb (xvfb-run is not installed)"
fi

if [[ "$failed" != 0 ]]; then
    echo "smoke: FAILED" >&2
    exit 1
fi
echo "smoke: all passed"
