#!/usr/bin/env bash
# Sets up the machine (as root), builds and runs every test: the release build (unit,
# black-box and deploy checks), the ASan+UBSan build, and the TSan build.
# Prints one closing line "N passed, M failed" over all suites.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh" || exit 1

passed=0
failed=0
run_preset() {
  local preset="$1"
  echo "=== $preset: build"
  if ! "$ROOT/scripts/build.sh" "$preset"; then
    echo "=== $preset: BUILD FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== $preset: test"
  local log="$ROOT/build/$preset/ctest.log"
  ctest --preset "$preset" -j2 --timeout 600 2>&1 | tee "$log"
  # ctest's summary: "100% tests passed, 0 tests failed out of 57"
  local total fails
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  fails=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed.*/\1/p' "$log" | tail -1)
  if [ -z "$total" ]; then
    echo "=== $preset: ctest did not finish"
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
}

start=$(date +%s)
for preset in ${HARVIS_TEST_PRESETS:-release asan tsan}; do
  run_preset "$preset"
done
# Bounded fuzzing of the WAV parser and the decode path (clang + libFuzzer).
echo "=== fuzz: ${FUZZ_SECONDS:-60}s per fuzzer"
fuzz_log="$ROOT/build/fuzz.log"
mkdir -p "$ROOT/build"
"$ROOT/tests/fuzz/run_fuzzers.sh" 2>&1 | tee "$fuzz_log"
fuzz_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$fuzz_log" | tail -1)
if [ -z "$fuzz_line" ]; then
  failed=$((failed + 1))
else
  passed=$((passed + $(echo "$fuzz_line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$fuzz_line" | cut -d' ' -f3)))
fi

echo "=== all suites finished in $(( $(date +%s) - start ))s"
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
