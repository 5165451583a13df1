#!/usr/bin/env bash
# Packs the npm package (wasm/pkg, built by wasm/build.sh), installs the tarball into a
# scratch project the way a user would, and runs the JavaScript tests against it:
# Node tests, cross-target determinism against the native binary, the TypeScript types,
# and a page in headless Chromium.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"

npm ci --no-audit --no-fund --loglevel=error

scratch="$here/.scratch"
rm -rf "$scratch"
mkdir -p "$scratch/app"
tarball=$(npm pack "$repo/wasm/pkg" --pack-destination "$scratch" --loglevel=error | tail -n 1)

cd "$scratch/app"
cat > package.json <<'JSON'
{ "name": "scratch-app", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error "$scratch/$tarball" lru-cache@11
cp "$here"/user/* .

export MEMPRESSURE_REPO="$repo"
export MEMPRESSURE_APP="$scratch/app"
export MEMPRESSURE_BIN="${MEMPRESSURE_BIN:-$repo/target/debug/mempressure}"

echo "== TypeScript: the package's types, strict"
"$here/node_modules/.bin/tsc" -p tsconfig.json

echo "== node --test: the package as a user installs it"
node --test ./*.test.mjs "$here"/*.test.mjs
