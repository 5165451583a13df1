#!/usr/bin/env bash
# Builds the status page into www/dist (not committed): the page's sources, the npm
# package (wasm/pkg, built here by wasm/build.sh), uPlot from npm, and the recorded traces
# for the replay picker.
set -euo pipefail
cd "$(dirname "$0")/.."

bash wasm/build.sh
(cd www && npm ci --no-audit --no-fund --loglevel=error)

rm -rf www/dist
mkdir -p www/dist/vendor www/dist/pkg www/dist/traces
cp www/src/* www/dist/
cp wasm/pkg/* www/dist/pkg/
cp www/node_modules/uplot/dist/uPlot.esm.js www/node_modules/uplot/dist/uPlot.min.css www/dist/vendor/
cp www/node_modules/uplot/LICENSE www/dist/vendor/uPlot.LICENSE
cp tests/traces/*.jsonl tests/traces/LICENSE-nezha.txt www/dist/traces/
(cd www/dist/traces && ls *.jsonl | node -e \
  'const names = require("fs").readFileSync(0, "utf8").trim().split("\n"); console.log(JSON.stringify(names))' \
  > index.json)
echo "built www/dist"
