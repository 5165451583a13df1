#!/usr/bin/env bash
# Builds the wasm benchmark package into $CARGO_TARGET_DIR/wasm-bench (default
# target/wasm-bench): the npm package's code and settings plus the hidden `__bench*`
# exports (feature `_bench`), in its own profile, so wasm/pkg is never touched.
# Usage: build-wasm.sh [PROFILE]: `wasm-bench` (the package's settings, the default) or
# `wasm-bench-small` (the core built for size too), into $CARGO_TARGET_DIR/PROFILE.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
profile=${1:-wasm-bench}
out="$target/$profile"

cargo build -p mempressure-wasm --features _bench --target wasm32-unknown-unknown \
  --profile "$profile"

rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --out-name mempressure_wasm \
  --remove-name-section --remove-producers-section \
  "$target/wasm32-unknown-unknown/$profile/mempressure_wasm.wasm"
cp wasm/js/node.js wasm/js/lru.js "$out/"
echo "built $out"
