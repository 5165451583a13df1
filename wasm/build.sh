#!/usr/bin/env bash
# Builds the npm package `mempressure` into wasm/pkg (not committed).
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli at the version of
# wasm-bindgen in Cargo.lock (scripts/install-tools.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -p mempressure-wasm --target wasm32-unknown-unknown --profile wasm-release

rm -rf wasm/pkg
wasm-bindgen --target web --out-dir wasm/pkg --out-name mempressure_wasm \
  --remove-name-section --remove-producers-section \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/mempressure_wasm.wasm"
cp wasm/js/index.js wasm/js/node.js wasm/js/lru.js wasm/js/index.d.ts wasm/js/README.md wasm/pkg/

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
sed "s/@VERSION@/$version/" wasm/js/package.json > wasm/pkg/package.json

raw=$(wc -c < wasm/pkg/mempressure_wasm_bg.wasm)
gzipped=$(gzip -9 -c wasm/pkg/mempressure_wasm_bg.wasm | wc -c)
echo "built wasm/pkg: mempressure_wasm_bg.wasm is $raw bytes, $gzipped gzipped"
