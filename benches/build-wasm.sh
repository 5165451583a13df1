#!/usr/bin/env bash
# Builds the wasm benchmark package into $CARGO_TARGET_DIR/wasm-bench (default
# target/wasm-bench): the npm package's code and settings plus the hidden `__bench*`
# exports (feature `_bench`), in its own profile, so wasm/pkg is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
out="$target/wasm-bench"

cargo build -p mempressure-wasm --features _bench --target wasm32-unknown-unknown \
  --profile wasm-bench

rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --out-name mempressure_wasm \
  --remove-name-section --remove-producers-section \
  "$target/wasm32-unknown-unknown/wasm-bench/mempressure_wasm.wasm"
cp wasm/js/node.js wasm/js/lru.js "$out/"
echo "built $out"
