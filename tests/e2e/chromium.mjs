// Headless Debian Chromium through playwright-core (which never downloads a browser), with
// WebGPU enabled (SwiftShader on a machine without a GPU): the browser tests' harness and the
// page benchmarks (bench/*.mjs) launch it the same way.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

/** A headless Chromium with the lab's flags. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
