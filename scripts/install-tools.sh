#!/usr/bin/env bash
# Installs what the build and the test suite need on a fresh machine, skipping what is
# already there: the wasm32 target, wasm-bindgen-cli at the version of wasm-bindgen in
# Cargo.lock, Debian's chromium, chromium-driver and prometheus (not with --no-browser,
# which the main job uses), and checks for Node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=yes
if [ "${1:-}" = "--no-browser" ]; then
  browser=no
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly.
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$wanted" ]; then
  echo "installing wasm-bindgen-cli $wanted (have: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$wanted"
fi

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
  else
    sudo apt-get update
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
  fi
}

if [ "$browser" = yes ]; then
  missing=()
  command -v chromium > /dev/null || missing+=(chromium)
  command -v chromedriver > /dev/null || missing+=(chromium-driver)
  command -v prometheus > /dev/null && command -v promtool > /dev/null || missing+=(prometheus)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
fi

for tool in node npm; do
  if ! command -v "$tool" > /dev/null; then
    echo "error: $tool is needed for the npm package's tests; install Node.js 20 or later" >&2
    exit 1
  fi
done
