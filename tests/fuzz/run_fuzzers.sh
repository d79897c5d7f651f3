#!/usr/bin/env bash
# Builds the audio layer's libFuzzer targets with clang (ASan + UBSan, libraries
# instrumented for coverage) in their own build folder, runs each one for a bounded time
# on a seed corpus (tests/fuzz/corpus and tests/fixtures/audio), and exits non-zero when a
# fuzzer finds a crash, leak, sanitizer report or timeout.
#
# Environment: FUZZ_SECONDS (per fuzzer, default 60), FUZZ_BUILD_DIR (default
# build/fuzz), FUZZ_JOBS (build parallelism, default 2), CC/CXX (default clang-14).
# Findings are written to $FUZZ_BUILD_DIR/artifacts/<fuzzer>/ (reproduce with
# `$FUZZ_BUILD_DIR/fuzzers/<fuzzer> <file>`).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
fuzzers=(wav_fuzz decode_fuzz)

configure_and_build() {
  CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARVIS_BUILD_TESTS=OFF -DHARVIS_BUILD_BENCH=OFF \
    -DHARVIS_SANITIZE=address,undefined -DHARVIS_WITH_LLAMA=OFF -DHARVIS_WITH_WHISPER=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link \
    -DCMAKE_PROJECT_INCLUDE="$root/tests/fuzz/fuzzers.cmake" >"$build.configure.log" 2>&1 ||
    { tail -30 "$build.configure.log"; return 1; }
  ninja -C "$build" -j "$jobs" "${fuzzers[@]}"
}

# Seeds: the hand-made WAVs and past findings (corpus/regressions) for both fuzzers, plus every audio fixture for decode_fuzz.
make_seeds() {
  local name=$1 dir=$build/seeds/$1
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$root"/tests/fuzz/corpus/wav/* "$root"/tests/fuzz/corpus/regressions/* "$dir"/
  if [ "$name" = decode_fuzz ]; then
    find "$root/tests/fixtures/audio" -type f ! -name '*.sh' -exec cp {} "$dir"/ \;
  else
    cp "$root"/tests/fixtures/audio/*.wav "$dir"/ 2>/dev/null || true
  fi
  echo "$dir"
}

run_one() {
  local name=$1 seeds corpus=$build/corpus/$1 artifacts=$build/artifacts/$1 dict=()
  seeds=$(make_seeds "$name")
  mkdir -p "$corpus" "$artifacts"
  [ "$name" = wav_fuzz ] && dict=(-dict="$root/tests/fuzz/wav.dict")
  echo "== $name: ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzzers/$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
      "$corpus" "$seeds" >"$build/$name.log" 2>&1
  local rc=$?
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/$name.log" || true
  if [ $rc -ne 0 ]; then
    echo "!! $name failed (exit $rc); log: $build/$name.log"
    grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$build/$name.log" | head -20
  fi
  return $rc
}

mkdir -p "$build"
if ! configure_and_build; then
  echo "0 passed, ${#fuzzers[@]} failed (build)"
  exit 2
fi
passed=0 failed=0
for f in "${fuzzers[@]}"; do
  if run_one "$f"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
