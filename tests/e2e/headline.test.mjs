// The headline cell of docs/results.md, as a user meets it: the "Our recipe: six labels" preset
// opened from its link, trained in the page on the CPU backend, must give the kNN accuracy the
// CLI gives for the same config (the page's exported run JSON fed to `dml-lab train --config`)
// within 0.01, and beat the paper's cell (.8377) by the margin docs/results.md reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUT, servedPageInChromium } from './harness.mjs';
import { LabPage } from './lab_page.mjs';

const ctx = servedPageInChromium();
const bin = process.env.DML_LAB_BIN ?? join(process.env.CARGO_TARGET_DIR ?? 'target', 'release', 'dml-lab');

test('the headline preset, opened from its link, gives the CLI figure within 0.01 on the CPU', { timeout: 1_800_000 }, async () => {
  // The preset's link, as the gallery offers it.
  const gallery = await ctx.browser.newPage({ viewport: { width: 1400, height: 950 } });
  const galleryLab = new LabPage(gallery);
  await galleryLab.open(ctx.server.url);
  await galleryLab.byId('presets').locator('summary').click();
  const preset = galleryLab.byId('preset').filter({ hasText: 'Our recipe: six labels' });
  assert.equal(await preset.count(), 1);
  const href = await preset.locator('a').getAttribute('href');
  await gallery.close();

  const page = await ctx.browser.newPage({ viewport: { width: 1400, height: 950 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  const lab = new LabPage(page);
  await lab.open(new URL(href, ctx.server.url).href);
  assert.equal(await lab.byId('model').inputValue(), 'dml-ae');
  assert.equal(await lab.byId('pl').inputValue(), '0.01');
  assert.equal(await lab.byId('epochs').inputValue(), '20');
  await lab.byId('backend').selectOption('cpu');
  const started = Date.now();
  const r = await lab.train(1_200_000);
  const pageSeconds = (Date.now() - started) / 1000;
  assert.equal(r.backendKind, 'cpu');
  await page.screenshot({ path: `${OUT}/lab-headline.png` });

  // The same config through the CLI: the page's run JSON is the CLI's --config.
  const [download] = await Promise.all([page.waitForEvent('download'), lab.byId('export-json').click()]);
  const record = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'dml-lab-headline-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(record.config));
  const cliStarted = Date.now();
  execFileSync(bin, ['train', '--config', join(dir, 'config.json'), '--backend', 'cpu', '--probes', 'knn', '--quiet', '--json', join(dir, 'cli.json')], { timeout: 540_000 });
  const cliSeconds = (Date.now() - cliStarted) / 1000;
  const cli = JSON.parse(readFileSync(join(dir, 'cli.json'), 'utf8'));
  assert.deepEqual({ ...cli.config, backend: 'cpu' }, { ...record.config, backend: 'cpu' });
  const cliAccuracy = cli.metrics.knn.accuracy;
  console.log(
    `headline preset: page kNN ${r.accuracy} (${pageSeconds.toFixed(0)} s, all probes), ` +
      `CLI ${cliAccuracy.toFixed(4)} (${cliSeconds.toFixed(0)} s); ${r.timing}`,
  );
  assert.ok(Math.abs(r.accuracy - cliAccuracy) <= 0.01, `page ${r.accuracy} vs CLI ${cliAccuracy}`);
  assert.ok(r.accuracy >= 0.94, `the headline cell gives ${r.accuracy}; docs/results.md reports ≈ .96`);
  // Twenty epochs hold no more than a phone's tab may (the page's and the worker's wasm memory).
  assert.ok(r.memoryMb > 50 && r.memoryMb <= 512, `memory ${r.memoryMb} MB`);
  await page.close();
});
