// Time to accuracy (DAWNBench's measure: a run's time to a target accuracy on the full test
// set) for the three label budgets of issue 35, in the page (headless Chromium, the CPU backend:
// one wasm thread) and through the CLI (its twin: the page's exported config, flex on every
// core). Each budget runs its quick preset (`6-recipe`, `60-recipe`: the full recipes the quick
// ones cut); for each seed it prints the
// run's final kNN accuracy (every test image), its training time, the time every probe took
// after it, the wall time from Train, and whether the target was met within the time, then a
// Markdown table.
//
//   node bench/time_to_accuracy.mjs [--dist dist] [--seeds 0,1,2] [--budgets 6,60,10pc]
//     (budgets also 6-recipe, 60-recipe)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../tests/e2e/chromium.mjs';
import { serveDir } from '../tests/e2e/server.mjs';
import { LabPage } from '../tests/e2e/lab_page.mjs';

const BUDGETS = {
  6: { label: '6 labels (0.01 %)', preset: 'Quick: six labels', target: 0.95, limit: 60 },
  60: { label: '60 labels (0.1 %)', preset: 'Quick: 60 labels', target: 0.97, limit: 60 },
  '10pc': { label: '10 % labels', preset: 'Quick: 10 %', target: 0.98, limit: 20 },
  // The full recipes the quick presets cut (minutes each).
  '6-recipe': { label: '6 labels, the full recipe', preset: 'Our recipe: six labels', target: 0.95, limit: 60 },
  '60-recipe': { label: '60 labels, the full recipe', preset: 'Our recipe: 60 labels', target: 0.97, limit: 60 },
};
const { values: opt } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    seeds: { type: 'string', default: '0,1,2' },
    budgets: { type: 'string', default: '6,60,10pc' },
  },
});
const bin = process.env.DML_LAB_BIN ?? join(process.env.CARGO_TARGET_DIR ?? 'target', 'release', 'dml-lab');
const dir = mkdtempSync(join(tmpdir(), 'dml-lab-tta-'));
const server = await serveDir(opt.dist);
const browser = await launchChromium();

/** The link the gallery gives a preset. */
async function linkOf(presetName) {
  const page = await browser.newPage();
  const lab = new LabPage(page);
  await lab.open(server.url);
  await lab.byId('presets').locator('summary').click();
  const href = await lab.byId('preset').filter({ hasText: presetName }).locator('a').getAttribute('href');
  await page.close();
  return new URL(href, server.url).href;
}

/** One page run: the result, its times and its config. */
async function pageRun(url, seed) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 950 }, acceptDownloads: true });
  const lab = new LabPage(page);
  await lab.open(url);
  await lab.setNumber('seed', seed);
  await lab.byId('backend').selectOption('cpu');
  const started = Date.now();
  const r = await lab.train(1_800_000);
  const total = (Date.now() - started) / 1e3;
  const [download] = await Promise.all([page.waitForEvent('download'), lab.byId('export-json').click()]);
  const record = JSON.parse(readFileSync(await download.path(), 'utf8'));
  await page.close();
  return {
    accuracy: r.accuracy,
    train: record.timings.train_seconds,
    probes: record.timings.eval_seconds,
    total,
    config: record.config,
  };
}

/** The CLI twin of a page run's config. */
function cliRun(config) {
  const file = join(dir, 'config.json');
  const out = join(dir, 'cli.json');
  writeFileSync(file, JSON.stringify({ ...config, backend: 'cpu' }));
  const started = Date.now();
  execFileSync(bin, ['train', '--config', file, '--quiet', '--json', out], { timeout: 1_800_000 });
  const total = (Date.now() - started) / 1e3;
  const rec = JSON.parse(readFileSync(out, 'utf8'));
  return {
    total,
    accuracy: rec.metrics.knn.accuracy,
    train: rec.timings.train_seconds,
    probes: rec.timings.eval_seconds,
  };
}

const rows = [];
try {
  for (const key of opt.budgets.split(',')) {
    const b = BUDGETS[key];
    if (!b) throw new Error(`unknown budget ${key} (${Object.keys(BUDGETS).join(', ')})`);
    const url = await linkOf(b.preset);
    for (const seed of opt.seeds.split(',').map(Number)) {
      const page = await pageRun(url, seed);
      const cli = cliRun(page.config);
      rows.push({ b, seed, page, cli });
      console.error(`${b.label} seed ${seed}: page ${JSON.stringify({ ...page, config: undefined })}; cli ${JSON.stringify(cli)}`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
const met = (r, b) => (r.accuracy >= b.target && r.train + r.probes <= b.limit ? 'yes' : 'no');
console.log('| budget | target | seed | page: final kNN | page: train + probes | page: wall | met | CLI: final kNN | CLI: train + probes | CLI: wall | met |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const { b, seed, page, cli } of rows) {
  const t = (r) => `${r.train.toFixed(1)} + ${r.probes.toFixed(1)} s`;
  console.log(`| ${b.label} | ${b.target} in ${b.limit} s | ${seed} | ${page.accuracy.toFixed(4)} | ${t(page)} | ${page.total.toFixed(0)} s | ${met(page, b)} | ${cli.accuracy.toFixed(4)} | ${t(cli)} | ${cli.total.toFixed(0)} s | ${met(cli, b)} |`);
}
console.log(`(headless Chromium, CPU backend (wasm, one thread) / dml-lab train --backend cpu (flex, every core), every probe; ${opt.dist})`);
