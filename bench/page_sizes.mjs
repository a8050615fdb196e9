// Time per step and memory in the page per image size (headless Chromium, the CPU backend, one
// wasm thread): for each size a synthetic npz of 88 training and 44 test images
// (`dml-lab make-npz --size`), picked in the page's file input, then one short run of each model
// with its defaults (2 steps); prints a Markdown table beside the run's memory estimate
// (pipeline::memory, read from `dml-lab train --memory-budget 1`'s refusal, which does not train).
//
//   node bench/page_sizes.mjs [--dist dist] [--sizes 28,64,128,224] [--models dml,metric-vae]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../tests/e2e/chromium.mjs';
import { serveDir } from '../tests/e2e/server.mjs';
import { LabPage } from '../tests/e2e/lab_page.mjs';

const { values: opt } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    sizes: { type: 'string', default: '28,64,128,224' },
    models: { type: 'string', default: 'dml,metric-vae' },
    steps: { type: 'string', default: '2' },
  },
});
const bin = process.env.DML_LAB_BIN ?? join(process.env.CARGO_TARGET_DIR ?? 'target', 'release', 'dml-lab');
const dir = mkdtempSync(join(tmpdir(), 'dml-lab-sizes-'));
const server = await serveDir(opt.dist);
const browser = await launchChromium();

/** The CLI's estimate (MiB) for the same run on the CPU, from its refusal under a 1 MiB budget. */
function estimateMib(npz, model) {
  const out = spawnSync(bin, ['train', '--dataset', 'organamnist', '--data', npz, '--model', model, '--pl', '20',
    '--epochs', '1', '--steps-per-epoch', opt.steps, '--backend', 'cpu', '--memory-budget', '1'], { encoding: 'utf8' });
  const m = /needs an estimated ([\d.]+) (MiB|GiB)/.exec(out.stderr);
  if (!m) throw new Error(`no estimate in: ${out.stderr}`);
  return Number(m[1]) * (m[2] === 'GiB' ? 1024 : 1);
}

const rows = [];
try {
  for (const size of opt.sizes.split(',').map(Number)) {
    const npz = join(dir, `organ${size}.npz`);
    execFileSync(bin, ['make-npz', '--out', npz, '--train', '88', '--val', '0', '--test', '44', '--size', `${size}`], { stdio: 'ignore' });
    for (const model of opt.models.split(',')) {
      // A fresh page per run: wasm's heap only grows, so the memory shown is this run's.
      const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
      const lab = new LabPage(page);
      await lab.open(`${server.url}?dataset=organamnist&model=${model}&pl=20&epochs=1&steps_per_epoch=${opt.steps}&backend=cpu&v=4`);
      await lab.byId('npz-file').setInputFiles(npz);
      await page.waitForFunction(() => /11 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
      const run = await lab.train(900_000);
      const msPerStep = Number(/([\d.]+) ms\/step/.exec(run.timing)?.[1]);
      const estimate = estimateMib(npz, model);
      const pageMib = run.memoryMb * 1e6 / 2 ** 20;
      rows.push({ size, model, msPerStep, pageMib, estimate });
      console.error(`${size} px ${model}: ${msPerStep} ms/step, ${run.memoryMb} MB, estimate ${estimate} MiB`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log('| image | model | ms / step | page memory | estimate × 1.2 (PAGE_FACTOR) | page ÷ estimate |\n|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.size}×${r.size} | ${r.model} | ${r.msPerStep.toFixed(0)} | ${r.pageMib.toFixed(0)} MiB | ${(r.estimate * 1.2).toFixed(0)} MiB | ${(r.pageMib / r.estimate).toFixed(2)} |`);
}
console.log(`(headless Chromium, CPU backend (wasm, one thread); 88 train / 44 test synthetic images, ${opt.steps} steps, every probe; ${opt.dist})`);
