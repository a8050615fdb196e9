// The page trains on WebGPU when asked (SwiftShader, a software adapter, on a machine without
// a GPU): a short run end to end. Its own file, since SwiftShader's evaluation takes minutes and
// asserts nothing about the page's timing (scripts/test.sh runs it beside another file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUT, servedPageInChromium } from './harness.mjs';
import { openLab } from './lab_page.mjs';

const ctx = servedPageInChromium();
const newLab = () => openLab(ctx);

test('trains on WebGPU (SwiftShader here) and says so', { timeout: 600_000 }, async () => {
  const lab = await newLab();
  const hasAdapter = await lab.page.evaluate(async () => !!(navigator.gpu && (await navigator.gpu.requestAdapter())));
  assert.ok(hasAdapter, 'Chromium with --enable-unsafe-webgpu should offer a WebGPU adapter');
  await lab.configure({ pl: 10, lsdim: 4, epochs: 1, steps: 3, backend: 'wgpu' });
  const r = await lab.train(540_000);
  console.log(`webgpu: accuracy ${r.accuracy} AMI ${r.ami}; ${r.timing}; ${r.backendText}`);
  assert.equal(r.backendKind, 'wgpu');
  assert.match(r.backendText, /WebGPU/);
  assert.ok(Number.isFinite(r.accuracy) && r.accuracy > 0.2, `accuracy ${r.accuracy} should be above chance`);
  assert.ok(Number.isFinite(r.ami) && r.ami > 0.05, `AMI ${r.ami}`);
  assert.equal(r.scatterPoints, 10000);
  await lab.page.screenshot({ path: `${OUT}/lab-webgpu.png`, fullPage: true });
  await lab.page.close();
});
