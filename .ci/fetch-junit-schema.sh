#!/usr/bin/env bash
# Fetches the JUnit XML schema that the JUnit test validates against, into
# target/test-data/: the Surefire/Jenkins "junit-10.xsd" (MIT licence, by
# Gregory Boissinot), the schema CI servers read JUnit reports by. It ships in
# pytest's source distribution on PyPI (testing/example_scripts/junit-10.xsd,
# where pytest validates its own JUnit output against it); the sha256 below
# pins the schema itself. Never committed; fetched once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/test-data/junit-10.xsd
sha=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
mkdir -p target/test-data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$tmp" pytest==8.3.5
tar -xzf "$tmp"/pytest-8.3.5.tar.gz -C "$tmp" pytest-8.3.5/testing/example_scripts/junit-10.xsd
src="$tmp/pytest-8.3.5/testing/example_scripts/junit-10.xsd"
echo "$sha  $src" | sha256sum -c --quiet
cp "$src" "$dest"
echo "JUnit schema: $dest"
