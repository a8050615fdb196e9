#!/usr/bin/env bash
# Builds the lab as a self-contained static site (the page, its wasm, MNIST gzipped) into a
# folder any static host can serve, from its root or from a sub-path:
#   scripts/site.sh [OUT]        (default: site/)
#   SITE_FROM_DIST=1 scripts/site.sh OUT   packs the dist/ already built (the tests use this)
# Then e.g. copy OUT to a GitHub Pages branch, an S3 bucket or any web server's folder. Open it
# with a trailing slash (https://host/lab/, not https://host/lab): the page loads its files
# relative to its own address. No server-side code and no special headers are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-site}"
if [ "${SITE_FROM_DIST:-}" != 1 ]; then
  scripts/setup.sh --no-browser >&2
  source scripts/env.sh
  trunk build --release >&2
fi
[ -f dist/index.html ] && [ -f dist/mnist/t10k-labels-idx1-ubyte.gz ] || {
  echo "site: dist/ has no built page with MNIST; run without SITE_FROM_DIST" >&2
  exit 1
}
rm -rf "$out"
mkdir -p "$out"
cp -R dist/. "$out/"
# Hosts that run Jekyll (GitHub Pages) would otherwise hide files starting with "_".
touch "$out/.nojekyll"
bytes=$(du -sb "$out" | cut -f1)
echo "static site in $out/ ($(find "$out" -type f | wc -l) files, $((bytes / 1000000)) MB): serve it from any folder, e.g. python3 -m http.server -d $out"
