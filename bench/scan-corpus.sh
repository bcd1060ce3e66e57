#!/usr/bin/env bash
# Whole-process timing and peak memory of `kaegis scan` over the shared
# real-world corpus (every check enabled), the figure bench/RESULTS.md records.
#   bash bench/scan-corpus.sh            # needs hyperfine (apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/realworld
cargo build --release --locked -q
bin=target/release/kaegis
echo "corpus: $(find "$corpus" -type f | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes"
# Exit 1 means "findings", which is the expected result here.
hyperfine --warmup 3 --runs "${RUNS:-20}" -i \
  "$bin scan $corpus --profile all --format json --output /dev/null --quiet"
for i in 1 2 3; do
  /usr/bin/time -f "peak RSS %M KB, wall %e s, user %U s, sys %S s" \
    "$bin" scan "$corpus" --profile all --format json --output /dev/null --quiet || true
done
