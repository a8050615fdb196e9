// Shared set-up of the browser tests: dist/ served on 127.0.0.1 and headless Debian Chromium,
// driven by playwright-core (which never downloads a browser), with WebGPU enabled
// (SwiftShader on a machine without a GPU). Screenshots and result files go to test-results/.
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { launchChromium } from './chromium.mjs';
import { serveDir } from './server.mjs';

export const OUT = 'test-results';

/** Registers before/after hooks; the returned object holds `server` and `browser` once they run. */
export function servedPageInChromium() {
  const ctx = { server: null, browser: null };
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    ctx.server = await serveDir('dist');
    ctx.browser = await launchChromium();
  });
  after(async () => {
    await ctx.browser?.close();
    ctx.server?.close();
  });
  return ctx;
}
