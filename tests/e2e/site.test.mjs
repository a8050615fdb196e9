// The shareable demo: `scripts/site.sh` packs the built page with MNIST into a folder, served
// here by a plain static server from a sub-path (/hosted/lab/), as GitHub Pages or any web
// server would. A link into it restores and runs its experiment, every file the page asks for
// exists, and the page's own Copy link keeps the sub-path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './chromium.mjs';
import { OUT } from './harness.mjs';
import { LabPage } from './lab_page.mjs';
import { serveDir } from './server.mjs';


test('the static site works from a sub-path of a plain static host, links included', { timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dml-lab-site-'));
  const site = join(root, 'hosted', 'lab');
  const said = execFileSync('scripts/site.sh', [site], { env: { ...process.env, SITE_FROM_DIST: '1' } }).toString();
  assert.match(said, /static site in .*hosted\/lab\/ \(\d+ files, \d+ MB\)/);
  for (const f of ['index.html', '.nojekyll', 'mnist/train-images-idx3-ubyte.gz']) assert.ok(existsSync(join(site, f)), f);

  const server = await serveDir(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const missing = [];
    page.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
    page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
    const lab = new LabPage(page);
    const base = `${server.url}hosted/lab/`;
    await lab.open(`${base}?lsdim=3&epochs=1&steps_per_epoch=6&backend=cpu&seed=4&run=1`);
    await page.waitForFunction(() => document.querySelector('[data-testid=accuracy]') || document.querySelector('[data-testid=error]'), null, { timeout: 540_000, polling: 500 });
    assert.equal(await lab.byId('error').count(), 0, 'no error');
    assert.equal(await lab.byId('lsdim').inputValue(), '3');
    assert.ok(Number(await lab.byId('accuracy').innerText()) > 0.2, 'trained on MNIST loaded from the sub-path');
    assert.deepEqual(missing, [], 'every file the page asked for exists under the sub-path');
    await lab.byId('copy-link').click();
    const link = new URL(await lab.byId('share-link').inputValue());
    assert.equal(`${link.origin}${link.pathname}`, base);
    assert.equal(link.searchParams.get('seed'), '4');
    await page.screenshot({ path: `${OUT}/site-sub-path.png` });
  } finally {
    await browser.close();
    server.close();
  }
});
