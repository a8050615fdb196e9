// The page in every browser engine a shared link lands in: Chromium, Firefox and WebKit
// (Safari's engine, and every browser on an iPhone), each driven through its own protocol
// (engines.mjs). The same flows run in each: the defaults with Auto, a MetricVAE run from a
// `run=1` link, a preset, the user's own IDX files, the Content-Security-Policy, a panic in the
// training worker, a stalled start, and the phone layout; then the defaults run must give the
// same kNN accuracy in all three (the CPU path is deterministic wasm). Each engine's figures
// (Train → first scatter, → all probes, ms/step, the longest main-thread stall, the start-up
// steps, memory) are printed and written to test-results/engines.json.
//
// ENGINES=webkit (comma-separated) runs a subset. Chromium runs the flows its own suite already
// covers (lab, flows, robustness .test.mjs) only with E2E_ALL_FLOWS=1, to keep CI short.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, launch } from './engines.mjs';
import { serveDir } from './server.mjs';
import { blocks } from './idx_files.mjs';
import { injectScripts } from './csp_probe.mjs';

const OUT = 'test-results';
const chosen = (process.env.ENGINES ?? ENGINES.join(',')).split(',').filter(Boolean);
const SMALL = 'lsdim=2&epochs=1&steps_per_epoch=4';
/** A phone's tab is killed well before a desktop's: the lab stays under this (wasm memory). */
const PHONE_MEMORY_MB = 512;

// Loaded before the app's scripts in every page (server.mjs): a fresh start (Firefox and WebKit
// keep one profile for all pages, so the saved runs and Auto's remembered choices are cleared;
// IndexedDB runs the app's open after this delete), then recorders of CSP violations, uncaught
// errors and the main thread's longest stall (how late a 20 ms interval fires: a task that
// long ran).
const RECORDERS = `
indexedDB.deleteDatabase('dml-lab');
localStorage.clear();
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.effectiveDirective + ': ' + (e.blockedURI || 'inline')));
window.__errors = [];
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__errors.push('unhandled rejection: ' + String(e.reason && e.reason.message || e.reason)));
window.__stall = 0;
(() => { let last = performance.now(); setInterval(() => { const now = performance.now(); window.__stall = Math.max(window.__stall, now - last - 20); last = now; }, 20); })();
`;

const figures = {};

/** Opens the page in `ctx`'s browser with `init` (a script) run before the app's. */
async function open(ctx, query = '', { init = '', width, height } = {}) {
  ctx.server.init = RECORDERS + init;
  const page = await ctx.browser.newPage({ width, height });
  await page.goto(`${ctx.server.url}${query}`);
  await page.waitFor(() => !!document.querySelector('[data-testid=train]'), null, { what: 'the page' });
  // The page's own load is not what the stall figure measures: from here on.
  await page.evaluate(() => {
    window.__stall = 0;
  });
  return page;
}

/** Waits until `n` runs have finished (the comparison table counts them) or an error shows. */
async function finished(page, n, timeout = 900_000) {
  await page.waitFor(
    (n) =>
      Number(document.querySelector('[data-testid=comparison]')?.dataset.runs ?? 0) >= n ||
      !!document.querySelector('[data-testid=error]') ||
      !!document.querySelector('[data-testid=fatal]')?.innerText,
    n,
    { timeout, polling: 500, what: `run ${n} to finish` },
  );
  return page.evaluate(() => ({
    error: document.querySelector('[data-testid=error]')?.innerText ?? null,
    fatal: document.querySelector('[data-testid=fatal]')?.innerText || null,
  }));
}

/** The finished run as the page shows it. */
function results(page) {
  return page.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid=${id}]`);
    return {
      accuracy: q('accuracy')?.innerText,
      ami: q('ami')?.innerText,
      timing: q('timing')?.innerText,
      doneMs: Number(q('timing')?.dataset.doneMs),
      memoryMb: Number(q('timing')?.dataset.memoryMb),
      firstScatterMs: Number(q('scatter')?.dataset.firstMs),
      startup: q('status')?.dataset.startup ?? null,
      backend: q('backend-used')?.innerText,
      backendKind: q('backend-used')?.dataset.kind,
      inPage: q('in-page')?.innerText ?? null,
      points: Number(document.querySelector('[data-testid=scatter-canvas]')?.dataset.points),
      footer: q('version')?.innerText,
      yTitleGap: Number(document.querySelector('[data-testid=scatter-canvas]')?.dataset.yTitleGap),
      // Shown width ÷ drawn width of the loss charts (1: their labels keep their size).
      chartScale: (() => {
        const svg = document.querySelector('[data-testid=loss-chart] svg');
        return svg ? svg.getBoundingClientRect().width / Number(svg.getAttribute('width')) : NaN;
      })(),
      components: Number(q('scatter')?.dataset.components),
      probes: [...document.querySelectorAll('[data-testid=metrics] tr[data-probe], [data-testid=cluster-metrics] tr[data-probe]')].map((r) => r.dataset.probe),
      reconstructions: document.querySelectorAll('[data-testid=reconstructions] canvas').length,
      stallMs: Math.round(window.__stall),
      errors: window.__errors,
    };
  });
}

const msPerStep = (timing) => Number(/([\d.]+) ms\/step/.exec(timing ?? '')?.[1]);

/** Chromium runs these flows in its own suite (CI time): skipped here unless E2E_ALL_FLOWS=1. */
const inChromiumSuite = (engine, file) =>
  engine === 'chromium' && process.env.E2E_ALL_FLOWS !== '1' && `Chromium runs it in ${file} (E2E_ALL_FLOWS=1 runs it here too)`;

for (const engine of ENGINES) {
  describe(engine, { skip: !chosen.includes(engine) && `ENGINES=${chosen}` }, () => {
    const ctx = { server: null, browser: null };
    before(async () => {
      mkdirSync(OUT, { recursive: true });
      ctx.server = await serveDir('dist');
      ctx.browser = await launch(engine);
      figures[engine] = { version: ctx.browser.version };
      console.log(`${engine}: ${ctx.browser.version}`);
    });
    after(async () => {
      await ctx.browser?.close();
      ctx.server?.close();
    });

    test('the defaults with Auto train, evaluate and draw everything', { timeout: 1_200_000 }, async () => {
      const page = await open(ctx);
      const clicked = Date.now();
      await page.click('train');
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      const wallMs = Date.now() - clicked;
      const r = await results(page);
      const f = {
        knn: r.accuracy,
        ami: r.ami,
        first_scatter_ms: Math.round(r.firstScatterMs),
        all_probes_ms: Math.round(r.doneMs),
        ms_per_step: msPerStep(r.timing),
        longest_stall_ms: r.stallMs,
        startup: r.startup,
        memory_mb: r.memoryMb,
        backend: r.backend,
        test_saw_done_ms: wallMs,
      };
      Object.assign(figures[engine], { defaults: f });
      console.log(`${engine} defaults: ${JSON.stringify(f)}`);
      assert.equal(r.inPage, null, 'trained in the worker');
      assert.equal(r.backendKind, 'cpu', r.backend);
      assert.ok(Number(r.accuracy) > 0.9, `kNN ${r.accuracy}`);
      assert.equal(r.points, 10000, 'one scatter point per test image');
      // The scatter's y-axis title sits clear of its tick labels, as this engine measures text.
      const version = readFileSync('Cargo.toml', 'utf8').match(/^version = "([^"]+)"/m)[1];
      assert.match(r.footer ?? '', new RegExp(`^dml-lab ${version.replaceAll('.', '\\.')} · defaults v\\d+`), 'the footer names the version');
      assert.ok(r.yTitleGap >= 2, `PC2 title ${r.yTitleGap} px from the tick labels`);
      assert.ok(r.chartScale > 0.9 && r.chartScale < 1.1, `loss charts shown at ${r.chartScale}× their drawn size`);
      assert.deepEqual([...r.probes].sort(), ['few_label_knn', 'kmeans', 'knn', 'mlp', 'random_forest', 'retrieval']);
      assert.ok(r.firstScatterMs > 0 && r.firstScatterMs < r.doneMs, `first scatter ${r.firstScatterMs} ms, done ${r.doneMs} ms`);
      assert.match(r.startup ?? '', /worker-boot:\d+ wasm:\d+ data:\d+ device:\d+ first-step:\d+/);
      assert.ok(r.memoryMb > 50 && r.memoryMb <= PHONE_MEMORY_MB, `memory ${r.memoryMb} MB`);
      assert.deepEqual(r.errors, []);
      await page.screenshot(`${OUT}/engine-${engine}-defaults.png`);
      await page.close();
    });

    test('MetricVAE from a run=1 link: its prior components and reconstructions', { timeout: 900_000, skip: inChromiumSuite(engine, 'lab.test.mjs') }, async () => {
      const page = await open(ctx, '?v=4&model=metric-vae&pl=10&lsdim=4&epochs=1&steps_per_epoch=30&backend=cpu&run=1');
      assert.equal(await page.evaluate(() => document.querySelector('[data-testid=model]').value), 'metric-vae');
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      const r = await results(page);
      console.log(`${engine} metric-vae: kNN ${r.accuracy}, ${r.timing}, stall ${r.stallMs} ms`);
      figures[engine].metric_vae = { knn: r.accuracy, timing: r.timing, memory_mb: r.memoryMb };
      assert.equal(r.components, 100, 'one ring per VampPrior pseudo-input');
      assert.equal(r.reconstructions, 1);
      assert.equal(await page.attr('latent-bars', 'data-dims'), '4');
      assert.ok(r.memoryMb <= PHONE_MEMORY_MB, `memory ${r.memoryMb} MB`);
      await page.screenshot(`${OUT}/engine-${engine}-metric-vae.png`);
      await page.close();
    });

    test('a preset loads into the form and trains', { timeout: 900_000, skip: inChromiumSuite(engine, 'flows.test.mjs') }, async () => {
      const page = await open(ctx);
      await page.click('[data-testid=presets] summary');
      await page.click('[data-testid=preset] a');
      await page.waitFor(() => /Loaded the preset/.test(document.querySelector('[data-testid=status]').innerText), null, { what: 'the preset' });
      assert.equal(await page.evaluate(() => document.querySelector('[data-testid=lsdim]').value), '10');
      // The preset's own length is minutes; a few steps show it trains.
      await page.set('epochs', 1);
      await page.set('steps_per_epoch', 20);
      await page.click('train');
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      const r = await results(page);
      assert.ok(Number(r.accuracy) > 0.3, `kNN ${r.accuracy}`);
      await page.close();
    });

    test('the user\'s own IDX files load and train', { timeout: 900_000, skip: inChromiumSuite(engine, 'flows.test.mjs') }, async () => {
      const page = await open(ctx, '?dataset=organamnist&pl=10&lsdim=2&epochs=1&steps_per_epoch=20&backend=cpu');
      const dir = mkdtempSync(join(tmpdir(), `dml-lab-idx-${engine}-`));
      const train = blocks(600, 1);
      const testSet = blocks(150, 2);
      const files = { 'labels-small.idx': testSet.labels, 'images-big.idx': train.images, 'images-small.idx': testSet.images, 'labels-big.idx': train.labels };
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      await page.upload('npz-file', Object.keys(files).map((n) => join(dir, n)));
      await page.waitFor(() => /3 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''), null, { what: 'the IDX files to load' });
      await page.click('train');
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      const r = await results(page);
      assert.ok(Number(r.accuracy) > 0.8, `accuracy ${r.accuracy} on three separable classes`);
      assert.equal(r.points, 150);
      await page.close();
    });

    test('the Content-Security-Policy holds for a whole run; injected scripts are refused', { timeout: 900_000, skip: inChromiumSuite(engine, 'robustness.test.mjs') }, async () => {
      const page = await open(ctx, `?${SMALL}&backend=cpu&model=dml-ae&run=1`);
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      await page.click('[data-testid=advanced] summary');
      assert.deepEqual(await page.evaluate(() => window.__csp), []);
      const ran = await page.evaluate(injectScripts);
      assert.deepEqual(ran, { script: false, handler: false });
      const violations = await page.evaluate(() => window.__csp);
      assert.ok(violations.filter((v) => v.startsWith('script-src')).length >= 2, JSON.stringify(violations));
      await page.close();
    });

    test('a panic in the training worker: a message, then a fresh worker trains', { timeout: 900_000, skip: inChromiumSuite(engine, 'robustness.test.mjs') }, async () => {
      const page = await open(ctx, `?${SMALL}&backend=cpu&run=1`);
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      await page.evaluate(() => {
        window.__dmlLabFault = 'worker-panic';
      });
      await page.click('train');
      await page.waitFor(() => !!document.querySelector('[data-testid=error]'), null, { timeout: 120_000, what: 'the error' });
      assert.match(await page.text('error'), /^internal error in the training worker: .*fault injected by a test.*the worker was restarted/s);
      assert.equal(await page.text('fatal'), '', 'the page itself did not crash');
      await page.evaluate(() => {
        delete window.__dmlLabFault;
      });
      await page.click('train');
      await page.waitFor(() => document.querySelector('[data-testid=comparison]')?.dataset.runs === '2', null, { timeout: 600_000, what: 'the second run' });
      await page.close();
    });

    test('a start that stalls says which step and trains in the page instead', { timeout: 900_000 }, async () => {
      const init = "window.__dmlLabFault = 'stall-wasm'; window.__dmlLabStartBoundMs = { wasm: 3000 };";
      const page = await open(ctx, `?${SMALL}&backend=cpu&run=1`, { init });
      assert.deepEqual(await finished(page, 1), { error: null, fatal: null });
      const r = await results(page);
      assert.match(r.inPage ?? '', /The page stalled while loading the lab's program \(WebAssembly\) into the training worker \(no answer in 3 s\)/);
      assert.ok(Number(r.accuracy) > 0.1, `kNN ${r.accuracy}`);
      await page.close();
    });

    // Firefox's WebGPU is its own implementation (wgpu-core, on Mesa's lavapipe here): the second
    // one checked against the CPU beside Chromium's Dawn (bench.test.mjs). WebKitGTK 2.50 has no
    // navigator.gpu here, with or without its WebGPU feature flag.
    test('WebGPU and the CPU give the same loss terms for a seed', { timeout: 900_000, skip: engine !== 'firefox' && 'Chromium: bench.test.mjs; WebKitGTK: no WebGPU' }, async () => {
      const page = await open(ctx, '?bench=agreement&bench_steps=4');
      await page.waitFor(() => /Benchmark (done|failed)/.test(document.querySelector('[data-testid=bench-status]')?.innerText ?? ''), null, { timeout: 840_000, polling: 1000, what: 'the agreement benchmark' });
      const status = await page.text('bench-status');
      assert.match(status, /Benchmark done/, status);
      const lines = (await page.text('bench-results')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      writeFileSync(`${OUT}/agreement-webgpu-${engine}.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      assert.deepEqual(lines.map((l) => l.model), ['dml', 'dml-ae', 'metric-vae']);
      for (const l of lines) {
        assert.equal(l.wgpu.length, 4, JSON.stringify(l));
        let worst = 0;
        l.cpu.forEach((cpuStep, i) => cpuStep.forEach((a, j) => {
          const b = l.wgpu[i][j];
          const diff = Math.abs(a - b);
          worst = Math.max(worst, diff / Math.max(Math.abs(a), 1e-12));
          assert.ok(diff <= 1e-5 + 1e-3 * Math.abs(a), `${l.model} step ${i + 1} ${l.names[j]}: cpu ${a} vs webgpu ${b}`);
        }));
        console.log(`${engine} agreement ${l.model}: largest relative difference ${worst.toExponential(2)} (${l.adapter})`);
        (figures[engine].agreement ??= {})[l.model] = worst;
      }
      await page.close();
    });

    // WebKitGTK's MiniBrowser window is at least 447 px wide here: it is checked at that width.
    test('a phone-sized viewport: one column, no sideways scrolling', { timeout: 300_000 }, async () => {
      const page = await open(ctx, '', { width: 390, height: 844 });
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        columns: new Set([...document.querySelectorAll('main > *')].filter((e) => e.offsetParent).map((e) => Math.round(e.getBoundingClientRect().left))).size,
      }));
      console.log(`${engine} phone layout: ${JSON.stringify(layout)}`);
      assert.ok(layout.clientWidth <= 450, `the viewport is ${layout.clientWidth} px wide`);
      assert.equal(layout.columns, 1, 'one column');
      assert.ok(layout.scrollWidth <= layout.clientWidth + 1, `the page scrolls sideways: ${JSON.stringify(layout)}`);
      await page.screenshot(`${OUT}/engine-${engine}-390x844.png`);
      await page.close();
    });
  });
}

test('the same defaults run gives the same kNN accuracy and AMI in every engine', () => {
  writeFileSync(`${OUT}/engines.json`, JSON.stringify(figures, null, 2) + '\n');
  const ran = chosen.filter((e) => figures[e]?.defaults);
  assert.deepEqual(ran, chosen, 'every chosen engine trained the defaults');
  const knn = ran.map((e) => figures[e].defaults.knn);
  const ami = ran.map((e) => figures[e].defaults.ami);
  console.log(`defaults kNN per engine: ${ran.map((e, i) => `${e} ${knn[i]}`).join(', ')}`);
  assert.ok(knn.every((k) => k === knn[0]), `kNN differs: ${knn}`);
  assert.ok(ami.every((a) => a === ami[0]), `AMI differs: ${ami}`);
});
