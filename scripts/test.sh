#!/usr/bin/env bash
# Runs every check and test of the workspace. Installs what it needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The core must build for the browser too.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== core for wasm32-unknown-unknown"
cargo build -p mempressure-core --target wasm32-unknown-unknown

echo "== cargo test"
cargo test --workspace
