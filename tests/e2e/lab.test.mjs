// Browser end-to-end tests: the built page (dist/) in headless Debian Chromium, driven by
// playwright-core. Run by scripts/test.sh after `trunk build`, alone (they assert the page's
// main-thread timing); screenshots go to test-results/. WebGPU on SwiftShader: webgpu.test.mjs.
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { OUT, servedPageInChromium } from './harness.mjs';
import { openLab } from './lab_page.mjs';

const ctx = servedPageInChromium();

const newLab = () => openLab(ctx);

/** A CPU run keeps the page responsive: no main-thread task of 100 ms or more from MNIST's
 * download to the finished run's views. */
function assertResponsive(name, r) {
  const longest = Math.max(0, ...r.longTasks);
  console.log(
    `${name}: accuracy ${r.accuracy} AMI ${r.ami}; ${r.timing}; ${r.backendText}; ` +
      `${r.longTasks.length} long tasks, longest ${longest.toFixed(0)} ms`,
  );
  assert.ok(longest < 100, `${name}: a main-thread task took ${longest.toFixed(0)} ms`);
}

test('trains on the CPU backend and shows metrics, loss curve and scatter', { timeout: 600_000 }, async () => {
  const lab = await newLab();
  await lab.configure({ pl: 10, lsdim: 10, epochs: 1, steps: 120, backend: 'cpu' });
  const r = await lab.train(540_000);
  assertResponsive('cpu', r);
  assert.equal(r.backendKind, 'cpu');
  assert.equal(r.workers, 1, 'training runs in a Web Worker');
  assert.ok(r.accuracy > 0.5 && r.accuracy <= 1, `accuracy ${r.accuracy} should be well above chance (0.1)`);
  assert.ok(r.ami > 0.3 && r.ami <= 1, `AMI ${r.ami} should be well above chance (0)`);
  assert.equal(r.scatterPoints, 10000, 'one scatter point per test image');
  assert.equal(r.lossPoints, 120, 'one loss point per step');
  assert.match(await lab.byId('status').innerText(), /^Done/);
  // Every probe shows its scores and seconds; classifiers well above chance after 120 steps.
  console.log(`cpu probes (scores..., seconds): ${JSON.stringify(r.probes)}`);
  assert.deepEqual(Object.keys(r.probes).sort(), ['few_label_knn', 'kmeans', 'knn', 'mlp', 'random_forest', 'retrieval']);
  for (const probe of ['random_forest', 'mlp', 'few_label_knn']) {
    assert.ok(Number(r.probes[probe][0]) > 0.5, `${probe} accuracy ${r.probes[probe][0]}`);
  }
  assert.match(r.probes.retrieval[2], /^MAP@R 0\.\d{4}$/);
  assert.match(r.probes.kmeans[0], /^NMI 0\.\d{4}$/);
  assert.equal(r.components, 0, 'plain DML has no prior to draw');
  assert.equal(await lab.byId('chance').innerText(), 'Chance: 0.1135 (always answering the most frequent test class).');
  assert.equal(await lab.byId('latent-bars').count(), 0, 'no bars for a point embedding');
  assert.equal(r.reconstructions, 0, 'plain DML has no decoder');
  await lab.page.screenshot({ path: `${OUT}/lab-cpu.png`, fullPage: true });

  // A second run in the same page, stopped early: training ends, the model is still evaluated.
  await lab.configure({ steps: 5000 });
  await lab.byId('train').click();
  await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]').dataset.points) >= 5);
  await lab.byId('stop').click();
  await lab.page.waitForFunction(() => /stopped early/.test(document.querySelector('[data-testid=timing]')?.innerText ?? ''), null, {
    timeout: 120_000,
  });
  const steps = Number(await lab.byId('loss-chart').getAttribute('data-points'));
  assert.ok(steps >= 5 && steps < 5000, `stopped after ${steps} steps`);
  assert.ok(Number(await lab.byId('accuracy').innerText()) > 0.1);
  await lab.page.close();
});

test('a MetricVAE run draws its VampPrior components and reconstructions', { timeout: 600_000 }, async () => {
  const lab = await newLab();
  await lab.configure({ model: 'metric-vae', pl: 10, lsdim: 4, epochs: 1, steps: 30, backend: 'cpu' });
  // MetricVAE's defaults (version 4) include the neighbour term, and the form says what it does.
  assert.match(await lab.byId('about').innerText(), /Neighbour term \(weight 0\.3\): the run first finds/);
  const r = await lab.train(540_000);
  assertResponsive('metric-vae', r);
  assert.equal(r.components, 100, 'one ring per VampPrior pseudo-input');
  assert.equal(r.reconstructions, 1);
  const grid = lab.page.locator('[data-testid=reconstructions] canvas');
  assert.equal(await grid.getAttribute('data-rows'), '2');
  assert.ok(Number(await grid.getAttribute('data-images')) >= 16, `reconstruction grid has ${await grid.getAttribute('data-images')} images`);
  // A variational model shows a bar per latent dimension beside the scatter.
  const bars = lab.byId('latent-bars');
  assert.equal(await bars.getAttribute('data-dims'), '4');
  assert.ok(Number(await bars.getAttribute('data-active')) >= 2, `active units ${await bars.getAttribute('data-active')}`);
  assert.equal(await bars.locator('svg rect').count() >= 4, true, 'one bar per dimension');
  assert.equal(await lab.byId('collapse').count(), 0, 'a healthy run is not called collapsed');
  await lab.page.screenshot({ path: `${OUT}/lab-metric-vae.png`, fullPage: true });
  // The same config and seed again (the VAE's ε included): the same numbers, so the comparison
  // cell of the two runs has a standard deviation of exactly 0.
  await lab.byId('train').click();
  await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=comparison]')?.dataset.runs) >= 2 || document.querySelector('[data-testid=error]'), null, {
    timeout: 540_000,
    polling: 500,
  });
  assert.equal(await lab.byId('error').count(), 0, 'no error');
  assert.equal(Number(await lab.byId('accuracy').innerText()), r.accuracy);
  assert.equal(Number(await lab.byId('ami').innerText()), r.ami);
  const cell = await lab.byId('comparison-cell').first().innerText();
  assert.match(cell, /^\d\.\d{4}±0\.0000 \/ \d\.\d{4}±0\.0000 \(n=2\)$/, cell);
  await lab.page.close();
});

test('a unit-prior run trained on its KL alone collapses, and the page says so and what helps', { timeout: 600_000 }, async () => {
  const lab = await newLab();
  await lab.configure({ model: 'dml-unit-prior', pl: 10, lsdim: 4, epochs: 1, steps: 60, backend: 'cpu' });
  await lab.setNumber('alpha', 1);
  await lab.train(540_000);
  const bars = lab.byId('latent-bars');
  assert.equal(await bars.getAttribute('data-active'), '0', 'the KL alone pulls every mean to 0');
  assert.match(await bars.innerText(), /0 of 4 dimensions active/);
  const note = await lab.byId('collapse').innerText();
  assert.match(note, /collapsed: .*0 of 4 latent dimensions are active/);
  assert.match(note, /free bits/);
  assert.match(note, /smaller α/);
  assert.match(await lab.byId('status').innerText(), /collapsed/);
  await lab.page.screenshot({ path: `${OUT}/lab-collapse.png`, fullPage: true });
  await lab.page.close();
});

// What a newcomer gets: the form's defaults with Auto. SwiftShader is a software adapter, so
// Auto trains on the CPU (wasm) at once and says why, and the latent space appears while
// training. The page's own figures (Train → first scatter, Train → all probes) are checked
// against the test's clock and written to test-results/first-scatter.json. Then the page is
// told its adapter is hardware (the worker still trains on the real SwiftShader): Auto times a
// few real steps on each backend, trains on the faster, and a second run of the same shape
// reuses that measurement.
test('Auto with the defaults trains on the CPU at once and shows the latent space while training', { timeout: 600_000 }, async () => {
  const lab = await newLab();
  const hasAdapter = await lab.page.evaluate(async () => !!(navigator.gpu && (await navigator.gpu.requestAdapter())));
  assert.ok(hasAdapter, 'Chromium with --enable-unsafe-webgpu should offer a WebGPU adapter');
  const clicked = Date.now();
  await lab.byId('train').click();
  await lab.page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=scatter]');
    return s && s.dataset.epoch !== 'final' && Number(s.dataset.points) > 0;
  }, null, { timeout: 300_000, polling: 100 });
  const seenMs = Date.now() - clicked;
  const live = await lab.byId('scatter').evaluate((s) => ({ ...s.dataset }));
  // Each probe's scores appear as it finishes, while the others still run.
  await lab.page.waitForSelector('[data-testid=probe-done]', { timeout: 540_000 });
  const streamed = await lab.byId('probe-done').first().innerText();
  const stillRunning = await lab.byId('train').isDisabled();
  console.log(`first probe streamed: ${streamed}`);
  assert.match(streamed, /^kNN \(k=5, 5-fold\): accuracy 0\.\d{4}, AMI 0\.\d{4} \([\d.]+ s\)$/);
  assert.ok(stillRunning, 'the first probe shows while the others run');
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=accuracy]') || document.querySelector('[data-testid=error]'), null, { timeout: 540_000, polling: 500 });
  assert.equal(await lab.byId('error').count(), 0, 'no error');
  const backendText = await lab.byId('backend-used').innerText();
  console.log(`auto: ${backendText}`);
  assert.equal(await lab.byId('backend-used').getAttribute('data-kind'), 'cpu');
  assert.match(backendText, /WebGPU \(.*swiftshader.*\) is a software adapter, .+: training on the CPU \(wasm, flex\)/i);
  const firstMs = Number(await lab.byId('scatter').getAttribute('data-first-ms'));
  const doneMs = Number(await lab.byId('timing').getAttribute('data-done-ms'));
  const accuracy = await lab.byId('accuracy').innerText();
  console.log(`page figures: first latent scatter ${firstMs.toFixed(0)} ms after Train (test saw it at ${seenMs} ms), all probes ${doneMs.toFixed(0)} ms, kNN ${accuracy}; live scatter: ${JSON.stringify(live)}`);
  assert.ok(firstMs > 0 && firstMs < doneMs, `first scatter ${firstMs} ms, done ${doneMs} ms`);
  assert.ok(firstMs <= seenMs + 250, `the page's figure (${firstMs} ms) cannot be later than the test saw the scatter (${seenMs} ms)`);
  assert.ok(Number(live.step) >= 1, 'the first scatter comes from within the first epoch');
  writeFileSync(`${OUT}/first-scatter.json`, JSON.stringify({ first_scatter_ms: firstMs, all_probes_ms: doneMs, seen_by_test_ms: seenMs, knn: accuracy, backend: backendText }) + '\n');
  await lab.page.screenshot({ path: `${OUT}/lab-auto.png`, fullPage: true });

  // The page now sees a hardware adapter; the worker trains on whatever WebGPU really is.
  await lab.page.evaluate(() => {
    navigator.gpu.requestAdapter = async () => ({ info: { vendor: 'test', architecture: 'hardware-like', description: '' }, isFallbackAdapter: false });
  });
  await lab.configure({ steps: 10 });
  await lab.train(300_000);
  const measured = await lab.byId('backend-used').innerText();
  console.log(`auto, timed: ${measured}`);
  assert.match(measured, /WebGPU \(test hardware-like\) .+, CPU \(wasm, flex\) [\d.]+ steps\/s: training on the CPU$/, measured);
  await lab.train(300_000);
  const again = await lab.byId('backend-used').innerText();
  assert.match(again, /measured earlier in this browser/, again);
  await lab.page.close();
});
