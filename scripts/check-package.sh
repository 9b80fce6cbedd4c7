#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Checks the package as a user gets it: `npm pack`, then `npm install -g` of the tarball into
# a scratch prefix, then damo run from / (so nothing can come from this checkout):
# --version, --help, a native-engine recording, damo's report wss on damo's test file, and an
# export to Parquet queried with damo fleet (DuckDB's prebuilt platform package).
#
# Dependencies come from npm's cache when it has them (--prefer-offline). The native addon
# is compiled at install time against this node's own headers (--nodedir); the install log
# must not show node-gyp downloading anything.
#
# report wss reads damo's own test recording from test/fixtures/damo (stored there as data),
# and the recording made here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/damo-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "check-package: $*" >&2; exit 1; }

cd "$root"
npm pack --pack-destination "$tmp" --silent >/dev/null
tarball=$(echo "$tmp"/damo-ts-*.tgz)
[ -f "$tarball" ] || fail "npm pack made no tarball"
nr_files=$(tar tzf "$tarball" | grep -vc '/$')
echo "package: $(basename "$tarball"), $(stat -c %s "$tarball") bytes, $nr_files files"
# What the package must not carry: tests, fixtures, benchmarks, VM kernel files, sources
# that are compiled before packing, source maps.
if tar tzf "$tarball" | grep -E '^package/(test|bench|proto|src|\.ci|native/tests|dist/bench)/|\.(map|ts)$'; then
  fail "the package holds the files above, which it must not"
fi

npm install -g --prefix "$tmp/prefix" --prefer-offline --no-audit --no-fund --foreground-scripts \
  --allow-scripts=damo-ts "$tarball" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "npm install -g failed"; }
if grep -E 'gyp (http|info download)' "$tmp/install.log"; then
  fail "node-gyp downloaded something while building the addon"
fi
[ -f "$tmp/prefix/lib/node_modules/damo-ts/build/Release/damo_native.node" ] || fail "the install built no native addon"
[ -L "$tmp/prefix/share/man/man1/damo.1" ] || fail "the install linked no man page"

cd /
export PATH="$tmp/prefix/bin:$PATH"
[ "$(command -v damo)" = "$tmp/prefix/bin/damo" ] || fail "damo is not the installed one"
version=$(node -p "require('$root/package.json').version")
[ "$(damo --version)" = "$version" ] || fail "damo --version is not $version"
damo --help >/dev/null
damo record --source native --timeout 3 -o "$tmp/record.data" -- sleep 10
damo report wss -i "$root/test/fixtures/damo/damo-3.3.0-tests-report/damon.data"
damo report wss -i "$tmp/record.data" >/dev/null
damo completion bash | bash -n
# DuckDB comes from npm as a prebuilt platform package: export and query with it.
damo synth -o "$tmp/synth.data" --snapshots 20 --regions 50 2>/dev/null
damo export -i "$tmp/synth.data" -o "$tmp/fleet" --to parquet --label service=check 2>/dev/null
damo fleet wss "$tmp/fleet" | grep -q '^# fleet working set: 1 recordings' || fail "damo fleet wss did not read the exported tables"
echo "check-package: installed and ran from / (damo $version)"
