#!/usr/bin/env bash
# Packs @converge/core, @converge/tasks and @converge/frugal, installs the tarballs with
# @tensorflow/tfjs into a fresh npm project outside the workspace, and checks that it trains with
# plain node, pulls no bench-only dependency, and type-checks under `tsc --init`'s settings.
# Usage: scripts/pack-smoke.sh [--no-build]     (needs the npm registry for tfjs and friends)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=$ROOT/scripts/pack-smoke
TSC=$ROOT/node_modules/.bin/tsc
TFJS_VERSION=$(node -p "require('./package.json').dependencies['@tensorflow/tfjs']")

PACKAGES="packages/core packages/tasks packages/tricks/frugal"
# Build only what is packed (pnpm build builds every package).
[ "${1:-}" = "--no-build" ] || pnpm --filter ./packages/core --filter ./packages/tasks --filter ./packages/tricks/frugal run build
WORK=$(mktemp -d "${TMPDIR:-/tmp}/converge-pack-smoke-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "pack-smoke: working in $WORK"

for pkg in $PACKAGES; do
  (cd "$pkg" && pnpm pack --pack-destination "$WORK/tarballs" >/dev/null)
done
ls "$WORK/tarballs"

mkdir "$WORK/app"
cd "$WORK/app"
echo '{ "name": "converge-consumer", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --loglevel=error "$WORK"/tarballs/*.tgz "@tensorflow/tfjs@$TFJS_VERSION"

fail() { echo "pack-smoke: FAIL: $*" >&2; exit 1; }
# The bench's dependencies (plots, the TypeScript loader) must not reach a user of a trick.
for heavy in vega vega-lite vega-embed playwright-core tsx esbuild @converge/bench; do
  [ ! -e "node_modules/$heavy" ] || fail "node_modules contains $heavy"
done
# One tfjs: two copies register every kernel twice and split the backend registry.
copies=$(find node_modules -path '*/@tensorflow/tfjs-core/package.json' | wc -l)
[ "$copies" -eq 1 ] || fail "$copies copies of @tensorflow/tfjs-core installed"
echo "pack-smoke: node_modules: $(du -sh node_modules | cut -f1); no vega, vega-lite, vega-embed, playwright-core, tsx, esbuild or @converge/bench; one tfjs-core"

cp "$SMOKE/train.mjs" "$SMOKE/consumer.ts" .
node train.mjs

"$TSC" --init >/dev/null
"$TSC" --noEmit
echo "pack-smoke: consumer.ts type-checks under tsc --init's settings"
# Our declarations checked too (skipLibCheck off, with tsc --init's DOM lib and exactOptionalPropertyTypes).
# tfjs's own declarations have errors under these settings; only errors in @converge's count.
lib_errors=$("$TSC" --noEmit --skipLibCheck false | grep 'error TS' || true)
if echo "$lib_errors" | grep -q '@converge/'; then echo "$lib_errors" | grep '@converge/' >&2; fail "the packed declarations have type errors"; fi
echo "pack-smoke: the @converge declarations type-check with skipLibCheck off ($(echo "$lib_errors" | grep -c 'error TS' || true) errors inside tfjs's own declarations ignored)"
echo "pack-smoke: OK"
