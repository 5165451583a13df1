#!/usr/bin/env bash
# Runs every benchmark of issue 6 in one go and prints the table of medians, targets and
# ratios (markdown): the criterion benches of the core and of native sampling, the Python
# reference (psutil is installed into target/bench-venv when missing), the core in wasm
# under Node, the monitor's overhead from outside, and the npm package's wasm size.
# Results go to $CARGO_TARGET_DIR/bench-results (default target/bench-results).
# Takes about 12 minutes on a 2-core machine; see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
target=$CARGO_TARGET_DIR
results="$target/bench-results"
rm -rf "$results"
mkdir -p "$results"

echo "== machine"
{
  echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores"
  echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "rustc: $(rustc --version)"
  echo "node: $(node --version); python: $(python3 --version 2>&1)"
} | tee "$results/machine.txt"

echo "== criterion: core step, planning, replay"
cargo bench -p mempressure-core --features _bench --bench core

echo "== criterion: a full native sample and the direct-read floor"
cargo bench -p mempressure-native --bench sampling

echo "== Python reference (checked against the Rust core first)"
cargo build --release -q -p mempressure-core --features _bench --example bench_workload
python3 benches/reference.py --rust-check "$target/release/examples/bench_workload" \
  --out "$results/reference.json"

echo "== instructions of one plan at 100k and 1M caches (callgrind, about 2 minutes)"
# The work alone, without the memory's stalls: what the planning growth would be if the
# processor's caches held every cache's numbers.
if command -v valgrind > /dev/null; then
  for n in 100000 1000000; do
    valgrind --tool=callgrind --toggle-collect='*plan_requests*' \
      --callgrind-out-file="$results/callgrind-plan-$n.out" \
      "$target/release/examples/bench_workload" 0 "$n" > /dev/null \
      2> "$results/callgrind-plan-$n.log"
  done
else
  echo "(valgrind is missing; the instruction row is left out)"
fi

echo "== wasm size: the npm package's release build"
bash wasm/build.sh
wasm=wasm/pkg/mempressure_wasm_bg.wasm
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
opt_raw=null
opt_gz=null
# What wasm-opt -Oz would give, on a copy (the package is built without it).
wasm_opt=(wasm-opt)
if ! command -v wasm-opt > /dev/null; then
  wasm_opt=(npx --yes -p binaryen wasm-opt)
fi
if "${wasm_opt[@]}" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$wasm" -o "$results/wasm-opt-Oz.wasm" > /dev/null 2>&1; then
  opt_raw=$(wc -c < "$results/wasm-opt-Oz.wasm")
  opt_gz=$(gzip -9 -c "$results/wasm-opt-Oz.wasm" | wc -c)
else
  echo "(wasm-opt is not available; its row is left out)"
fi
# The floor: the package's libraries on one small struct, with no logic of ours
# (benches/wasm-skeleton), built and bound the same way.
cargo build -q -p mempressure-wasm-skeleton --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$results/skeleton"
wasm-bindgen --target web --out-dir "$results/skeleton" --out-name skeleton \
  --remove-name-section --remove-producers-section \
  "$target/wasm32-unknown-unknown/wasm-release/mempressure_wasm_skeleton.wasm"
skeleton_raw=$(wc -c < "$results/skeleton/skeleton_bg.wasm")
skeleton_gz=$(gzip -9 -c "$results/skeleton/skeleton_bg.wasm" | wc -c)
cat > "$results/size.json" <<JSON
{ "raw_bytes": $raw, "gzip_bytes": $gz,
  "wasm_opt_raw_bytes": $opt_raw, "wasm_opt_gzip_bytes": $opt_gz,
  "skeleton_raw_bytes": $skeleton_raw, "skeleton_gzip_bytes": $skeleton_gz }
JSON

echo "== wasm in Node: core step, planning, replay"
bash benches/build-wasm.sh
node benches/wasm.mjs "$target/wasm-bench" --out "$results/wasm.json"

echo "== wasm in Node, the core built for size too (profile wasm-bench-small; not the package)"
bash benches/build-wasm.sh wasm-bench-small
node benches/wasm.mjs "$target/wasm-bench-small" --out "$results/wasm-small.json"
for build in wasm-bench wasm-bench-small; do
  file="$target/$build/mempressure_wasm_bg.wasm"
  echo "{ \"raw_bytes\": $(wc -c < "$file"), \"gzip_bytes\": $(gzip -9 -c "$file" | wc -c) }" \
    > "$results/size-$build.json"
done

echo "== monitor overhead, measured from outside"
cargo build --release -q -p mempressure-native --example idle_monitor
python3 benches/overhead.py "$target/release/examples/idle_monitor" \
  --seconds "${MEMPRESSURE_OVERHEAD_SECONDS:-20}" --out "$results/overhead.json"

echo
echo "== results ($results/table.md)"
cat "$results/machine.txt"
echo
python3 benches/report.py "$target/criterion" "$results" --out "$results/table.md"
