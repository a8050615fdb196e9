// The page's benchmark (`?bench=cpu`, `?bench=webgpu`): the same training steps as
// `dml-lab bench`, timed in headless Chromium. Writes test-results/bench-<backend>.jsonl and,
// for the CPU (wasm) backend, the time from opening the page to the first latent scatter.
// The WebGPU benchmark times one step per family (two with BENCH_WEBGPU=1: SwiftShader takes
// seconds per step) and checks the GPU work the browser counted.
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
    assert.equal(l.gpu, undefined, 'no GPU work is counted on the CPU');
  }
});

// One timed step per family (SwiftShader takes seconds per step; BENCH_WEBGPU=1 times two):
// the WebGPU work of a step is counted at the browser's API (src/ui/gpu_counts.js).
test('the page benchmark runs on WebGPU and counts its GPU work', { timeout: 600_000 }, async () => {
  const lines = await runBench('webgpu', process.env.BENCH_WEBGPU === '1' ? 2 : 1, 580_000);
  assert.deepEqual(lines.map((l) => l.model), MODELS);
  for (const [i, l] of lines.entries()) {
    assert.match(l.backend, /WebGPU/);
    const g = l.gpu;
    assert.ok(g, `no GPU counts for ${l.model}`);
    // Every step dispatches hundreds of kernels in a few submits; the epoch ends with a
    // readback. The first family compiles most pipelines, a few kernel variants late (1–2
    // after a 1- or 2-step warm-up, docs/bench.md); the later ones reuse them and compile
    // nothing after their warm-up.
    assert.ok(g.dispatches_per_step >= 50 && g.dispatches_per_step === g.bind_groups_per_step, JSON.stringify(g));
    assert.ok(g.submits_per_step >= 1 && g.submits_per_step < g.dispatches_per_step, JSON.stringify(g));
    assert.ok(g.maps_per_step > 0 && g.bytes_read_back_per_step > 0, JSON.stringify(g));
    assert.ok(g.pipelines_in_warmup > 0 || i > 0, `${l.model} compiled nothing in its warm-up`);
    assert.ok(g.pipelines_after_warmup <= (i === 0 ? 2 : 0), `${l.model} compiled ${g.pipelines_after_warmup} pipelines after its warm-up`);
    console.log(`page WebGPU work per step: ${l.model} ${g.dispatches_per_step} dispatches, ${g.submits_per_step} submits, ${g.maps_per_step} readbacks`);
  }
});

// The same seed on Chromium's WebGPU (SwiftShader here) and on the CPU (wasm): every step's loss
// terms agree within the tolerance the native agreement test uses (tests/it/backend_agreement.rs,
// docs/robustness.md), for a model of each kind of objective.
test('WebGPU in the browser and the CPU give the same loss terms for a seed', { timeout: 600_000 }, async () => {
  const page = await ctx.browser.newPage();
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  await page.goto(`${ctx.server.url}?bench=agreement&bench_steps=4`);
  await page.waitForFunction(
    () => /Benchmark (done|failed)/.test(document.querySelector('[data-testid=bench-status]')?.innerText ?? ''),
    null,
    { timeout: 580_000 },
  );
  const status = await page.getByTestId('bench-status').innerText();
  assert.match(status, /Benchmark done/, status);
  const text = await page.getByTestId('bench-results').innerText();
  const lines = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  writeFileSync(`${OUT}/agreement-webgpu.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.deepEqual(lines.map((l) => l.model), ['dml', 'dml-ae', 'metric-vae']);
  for (const l of lines) {
    assert.equal(l.cpu.length, 4, JSON.stringify(l));
    assert.equal(l.wgpu.length, 4, JSON.stringify(l));
    let worst = 0;
    l.cpu.forEach((cpuStep, i) => {
      cpuStep.forEach((a, j) => {
        const b = l.wgpu[i][j];
        const diff = Math.abs(a - b);
        worst = Math.max(worst, diff / Math.max(Math.abs(a), 1e-12));
        assert.ok(diff <= 1e-5 + 1e-3 * Math.abs(a), `${l.model} step ${i + 1} ${l.names[j]}: cpu ${a} vs webgpu ${b}`);
      });
    });
    console.log(`agreement ${l.model}: ${l.cpu.length} steps, largest relative difference ${worst.toExponential(2)} (${l.adapter})`);
  }
  await page.close();
});
