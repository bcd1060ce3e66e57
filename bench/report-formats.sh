#!/usr/bin/env bash
# Whole-process timing of `kaegis scan` over the shared real-world corpus in
# each report format (every check enabled), and of `kaegis fix --dry-run`,
# the figures bench/RESULTS.md records for the reporters and the fixer.
#   bash bench/report-formats.sh            # needs hyperfine (apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/realworld
cargo build --release --locked -q
bin=target/release/kaegis
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cmds=()
for f in json sarif junit html markdown policyreport terminal; do
  cmds+=("$bin scan $corpus --profile all --no-config --quiet --format $f=$out/report.$f")
done
cmds+=("$bin fix $corpus --profile all --no-config --dry-run")
# Exit 1 means "findings" (or, for fix, a few fixes refused): expected here.
hyperfine -N --warmup 2 --runs "${RUNS:-10}" -i --export-markdown "$out/table.md" "${cmds[@]}" >/dev/null
sed "s|$bin|kaegis|g; s|$out/||g; s|$corpus|corpus|g" "$out/table.md"
ls -l "$out" | awk 'NR>1 && $NF ~ /^report/ {print $NF": "$5" bytes"}'
