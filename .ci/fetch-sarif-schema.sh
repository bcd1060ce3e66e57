#!/usr/bin/env bash
# Fetches the official OASIS SARIF 2.1.0 JSON schema (2.1.0 Plus Errata 01,
# JSON Schema draft-04) that the SARIF test validates against, into
# target/test-data/. It ships verbatim inside the Go module
# github.com/owenrumney/go-sarif/v3 (a Go raw string), whose contents the Go
# checksum database pins; the sha256 below pins the schema itself. Never
# committed; fetched once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/test-data/sarif-schema-2.1.0.json
sha=c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
mkdir -p target/test-data
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
dir=$(cd "$tmp" && GOPATH="$tmp/gopath" GOFLAGS=-modcacherw go mod download -json github.com/owenrumney/go-sarif/v3@v3.3.1 \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
sed -n '/^const schema = `/,/^`$/p' "$dir/pkg/report/v210/sarif/schema.go" | sed '1s/^const schema = `//;$d' > "$tmp/schema.json"
echo "$sha  $tmp/schema.json" | sha256sum -c --quiet
cp "$tmp/schema.json" "$dest"
echo "SARIF schema: $dest"
