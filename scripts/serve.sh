#!/usr/bin/env bash
# The main job: builds the status page (the npm package and www/) and serves this machine's
# memory pressure with `mempressure serve`. Extra arguments go to `mempressure serve`
# (for example --addr 127.0.0.1:9000 or --profile production).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-tools.sh --no-browser
bash www/build.sh
exec cargo run --release -p mempressure-native -- serve --www www/dist "$@"
