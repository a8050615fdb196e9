// The page's benchmark (`?bench=cpu`, `?bench=webgpu`): the same training steps as
// `dml-lab bench`, timed in headless Chromium. Writes test-results/bench-<backend>.jsonl and,
// for the CPU (wasm) backend, the time from opening the page to the first latent scatter.
// The WebGPU benchmark runs only with BENCH_WEBGPU=1 (SwiftShader takes seconds per step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { OUT, servedPageInChromium } from './harness.mjs';

const MODELS = ['dml', 'dml-ae', 'dml-unit-prior', 'dml-gmm-prior', 'metric-vae'];
const ctx = servedPageInChromium();

async function runBench(backend, steps, timeout) {
  const page = await ctx.browser.newPage();
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  await page.goto(`${ctx.server.url}?bench=${backend}&bench_steps=${steps}`);
  await page.waitForFunction(
    () => /Benchmark (done|failed)/.test(document.querySelector('[data-testid=bench-status]')?.innerText ?? ''),
    null,
    { timeout },
  );
  const status = await page.getByTestId('bench-status').innerText();
  assert.match(status, /Benchmark done/, status);
  const text = await page.getByTestId('bench-results').innerText();
  const lines = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  writeFileSync(`${OUT}/bench-${backend}.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  for (const l of lines) {
    console.log(`page bench ${backend}: ${l.model} ${l.steps_per_s.toFixed(2)} steps/s, ${l.samples_per_s.toFixed(0)} images/s, wasm memory ${l.wasm_memory_mib.toFixed(0)} MiB (${l.backend})`);
  }
  await page.close();
  return lines;
}

test('the hosted bundle (trunk build --release) is at most 4 MB gzipped', () => {
  const wasm = readdirSync('dist').filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1);
  const bytes = readFileSync(`dist/${wasm[0]}`);
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`wasm bundle: ${(bytes.length / 1e6).toFixed(1)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzipped`);
  assert.ok(gz <= 4e6, `${gz} bytes gzipped`);
});

test('the page benchmark times every model family on the CPU (wasm) backend', { timeout: 600_000 }, async () => {
  const lines = await runBench('cpu', 5, 540_000);
  assert.deepEqual(lines.map((l) => l.model), MODELS);
  for (const l of lines) {
    assert.equal(l.steps, 5);
    assert.equal(l.batch_size, 256);
    assert.ok(l.steps_per_s > 0 && Number.isFinite(l.steps_per_s), JSON.stringify(l));
    assert.ok(Math.abs(l.samples_per_s - l.steps_per_s * l.batch_size * l.batches_per_step) < 1e-6 * l.samples_per_s);
    assert.match(l.backend, /^CPU/);
    assert.ok(l.wasm_memory_mib > 40, 'the 60k random images alone take 45 MiB');
  }
});

test('the page benchmark runs on WebGPU', { timeout: 600_000, skip: process.env.BENCH_WEBGPU !== '1' && 'set BENCH_WEBGPU=1' }, async () => {
  const lines = await runBench('webgpu', 2, 580_000);
  assert.deepEqual(lines.map((l) => l.model), MODELS);
  for (const l of lines) assert.match(l.backend, /WebGPU/);
});

// Opening the page to the first latent scatter: one full epoch of MNIST (235 steps of 256) on the
// CPU (wasm) backend, then the evaluation that draws the scatter. Minutes on a small machine, so
// it runs only with BENCH_FIRST_SCATTER=1; prints the seconds.
test('seconds from opening the page to the first latent scatter (1 epoch, CPU)', { timeout: 900_000, skip: process.env.BENCH_FIRST_SCATTER !== '1' && 'set BENCH_FIRST_SCATTER=1' }, async () => {
  const page = await ctx.browser.newPage();
  const t0 = Date.now();
  await page.goto(ctx.server.url);
  await page.getByTestId('train').waitFor();
  await page.getByTestId('backend').selectOption('cpu');
  await page.getByTestId('epochs').fill('1');
  await page.getByTestId('epochs').dispatchEvent('change');
  await page.getByTestId('steps').fill('0');
  await page.getByTestId('steps').dispatchEvent('change');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=scatter-canvas]')?.dataset.points ?? 0) > 0, null, { timeout: 880_000, polling: 200 });
  const seconds = (Date.now() - t0) / 1000;
  const timing = await page.getByTestId('timing').innerText();
  console.log(`first latent scatter after ${seconds.toFixed(1)} s (${timing})`);
  await page.close();
});
