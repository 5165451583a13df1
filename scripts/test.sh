#!/usr/bin/env bash
# Runs every check and test of the workspace: Rust (native), the core for wasm, the npm
# package under Node and in headless Chromium, and native/wasm determinism. Installs what
# it needs on a fresh machine first (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-tools.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy -D warnings (native, and the wasm crate for wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p mempressure-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p mempressure-wasm --features _bench --target wasm32-unknown-unknown -- -D warnings

echo "== core for wasm32-unknown-unknown, without default features"
cargo build -p mempressure-core --target wasm32-unknown-unknown --no-default-features

echo "== cargo test (native)"
cargo test --workspace

echo "== Prometheus rules (promtool test rules) and a real Prometheus scraping serve"
promtool test rules native/prometheus/mempressure.rules.test.yml
cargo test -p mempressure-native --test prometheus -- --ignored

echo "== benchmark smoke runs: each bench once with tiny sizes (the real run: benches/run.sh)"
MEMPRESSURE_BENCH_SMOKE=1 cargo test -p mempressure-core --features _bench --bench core
cargo test -p mempressure-native --bench sampling
cargo build -p mempressure-core --features _bench --example bench_workload
cargo run -q -p mempressure-native --example idle_monitor -- 0.3 100ms
python3 benches/reference.py --smoke \
  --rust-check "${CARGO_TARGET_DIR:-target}/debug/examples/bench_workload" > /dev/null
bash benches/build-wasm.sh
node benches/wasm.mjs "${CARGO_TARGET_DIR:-target}/wasm-bench" --smoke > /dev/null

echo "== wasm-bindgen tests in Node"
cargo test -p mempressure-wasm --target wasm32-unknown-unknown --test node

echo "== wasm-bindgen tests in headless Chromium"
CHROMEDRIVER=$(command -v chromedriver) \
  cargo test -p mempressure-wasm --target wasm32-unknown-unknown --test browser

echo "== npm package and status page: build, pack, install, test from Node and Chromium"
bash www/build.sh
bash tests/js/run.sh
