#!/usr/bin/env bash
# Runs each fuzz target in fuzz/ (cargo fuzz, libFuzzer, AddressSanitizer) for SECONDS
# (default 60) and prints the executions and crashes of each. Too slow for every test
# run, so scripts/test.sh does not call it; the targets' bodies run over the seed corpus
# in `cargo test -p mempressure-core` (core/src/fuzzing.rs).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# cargo fuzz passes nightly-only flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the
# stable rustc accept them. Inputs that find new paths go to fuzz/corpus/<target> (not
# committed), crashes to fuzz/artifacts/<target>/; the committed seeds are in
# fuzz/seeds/<target>. Exits 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(trace_replay config_toml config_json core_records)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
# Cargo caches its probes of rustc in the target directory, failures included: a probe
# that once ran without RUSTC_BOOTSTRAP would keep failing. The cache is rebuilt at once.
rm -f "${CARGO_TARGET_DIR:-fuzz/target}/.rustc_info.json"

echo "== cargo fuzz build"
cargo fuzz build

crashed=0
summary=()
for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  artifacts=fuzz/artifacts/$target
  log=$artifacts/last-run.log
  mkdir -p "$corpus" "$artifacts"
  count_crashes() {
    find "$artifacts" -maxdepth 1 -type f \
      \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l
  }
  before=$(count_crashes)

  echo "== $target: ${seconds} s"
  status=0
  cargo fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 >"$log" 2>&1 || status=$?

  executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
  crashes=$(($(count_crashes) - before))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    echo "cargo fuzz run $target failed (exit $status) without a crash file; see $log" >&2
    tail -20 "$log" >&2
    exit "$status"
  fi
  if [ "$crashes" -gt 0 ]; then
    crashed=1
    grep -E "panicked at|SUMMARY|Test unit written" "$log" || true
  fi
  summary+=("$(printf '%-14s %12s executions %4s crash(es) in %s s, corpus %s files' \
    "$target" "${executions:-?}" "$crashes" "$seconds" "$(find "$corpus" -type f | wc -l)")")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$crashed"
