#!/usr/bin/env bash
# tests/fuzz/run.sh [seconds] - builds the libFuzzer targets (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for a bounded time (default 30 s; or
# BREAKEVEN_FUZZ_SECONDS), as many at once as there are CPUs, over its committed corpus,
# tests/fuzz/corpus/<name>. The corpus is copied to the build folder first: new inputs found
# stay there, the committed one stays small.
# A crash, a leak, a timeout or an out-of-memory fails the run and leaves the input in
# build/test-fuzz/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-${BREAKEVEN_FUZZ_SECONDS:-30}}
jobs=${BREAKEVEN_JOBS:-$(nproc)}
out=$root/build/test-fuzz
fuzzers=(frame profile learned codec)

cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DBREAKEVEN_FUZZ=ON -DBREAKEVEN_BUILD_EXAMPLES=OFF -DBREAKEVEN_BUILD_TOOLS=OFF >/dev/null
cmake --build "$out" --parallel "$jobs" --target "${fuzzers[@]/%/_fuzzer}"

mkdir -p "$out/artifacts"
# As many fuzzers at once as there are CPUs (each is single-threaded), a batch at a time.
fuzz() {
  local f=$1 corpus=$out/corpus/$1
  mkdir -p "$corpus"
  if [ -d "$root/tests/fuzz/corpus/$f" ]; then cp -n "$root/tests/fuzz/corpus/$f"/* "$corpus"/ 2>/dev/null || true; fi
  "$out/tests/${f}_fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/${f}-" 2>"$out/$f.log"
}
failed=()
for ((i = 0; i < ${#fuzzers[@]}; i += jobs)); do
  batch=("${fuzzers[@]:i:jobs}")
  pids=()
  for f in "${batch[@]}"; do
    echo "== fuzzing $f for ${seconds} s"
    fuzz "$f" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    f=${batch[$k]}
    if wait "${pids[$k]}"; then
      echo "$f: $(grep -E '^stat::number_of_executed_units|^Done' "$out/$f.log" | tr '\n' ' ')"
    else
      tail -n 60 "$out/$f.log"
      echo "tests/fuzz/run.sh: the $f fuzzer failed (input in $out/artifacts/)"
      failed+=("$f")
    fi
  done
done
[ ${#failed[@]} -eq 0 ] || exit 1
echo "tests/fuzz/run.sh: ${#fuzzers[@]} fuzzers ran ${seconds} s each without a finding"
