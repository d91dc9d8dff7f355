#!/usr/bin/env bash
# Builds the libFuzzer harness for the duration parser and runs it.
#   fuzz/run.sh [SECONDS]      (default 60)
# Needs clang with libFuzzer (Debian: clang-14, libclang-rt-14-dev).  Prints
# the executions and the number of crashes; exits 1 if there was a crash.
# New corpus entries are kept in fuzz/corpus/work (not committed); crash
# inputs are written to fuzz/crashes/.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${FUZZ_BUILD_DIR:-$HERE/build}
CC=${CC:-clang}
mkdir -p "$BUILD" "$HERE/corpus/work" "$HERE/crashes"

"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -I"$ROOT/src" \
    "$HERE/duration_fuzz.c" "$ROOT/src/duration.c" -o "$BUILD/duration_fuzz"

LOG="$BUILD/duration_fuzz.log"
set +e
"$BUILD/duration_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=256 \
    -artifact_prefix="$HERE/crashes/" -print_final_stats=1 \
    "$HERE/corpus/work" "$HERE/corpus/duration" >"$LOG" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)
# libFuzzer stops at the first crash and writes its input out once.
crashes=$(grep -c 'Test unit written to' "$LOG" || true)
echo "duration parser: ${execs:-0} executions in ${SECONDS_TO_RUN}s, $crashes crashes (libFuzzer exit $rc)"
grep -E '^#[0-9]+[[:space:]]+DONE' "$LOG" | tail -1 || true
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    tail -40 "$LOG"
    exit 1
fi
