#!/usr/bin/env bash
# Fetches the SARIF 2.1.0 JSON schema (OASIS, final "rtm.5" text, JSON Schema
# draft-04) that the SARIF test validates against, from an npm package that
# ships it, into target/test-data/. Never committed; fetched once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/test-data/sarif-schema-2.1.0.json
sha=2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
mkdir -p target/test-data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$tmp"/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$tmp" package/lib/schemas/sarif-2.1.0-rtm.5.json
echo "$sha  $tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" | sha256sum -c --quiet
cp "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest"
echo "SARIF schema: $dest"
