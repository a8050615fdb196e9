// The page's WebGPU benchmark in headless Chromium (SwiftShader on a machine without a GPU):
// opens `?bench=webgpu&bench_steps=N` on a built page and prints, per model family, the
// WebGPU work of a training step as the browser counted it (src/ui/gpu_counts.js), with the
// step time. Dispatch, submit and pipeline counts do not depend on the adapter.
//
//   node bench/page_counts.mjs [--dist dist] [--steps 2] [--out FILE.jsonl]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { launchChromium } from '../tests/e2e/chromium.mjs';
import { serveDir } from '../tests/e2e/server.mjs';

const { values: opt } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    steps: { type: 'string', default: '2' },
    out: { type: 'string' },
    timeout: { type: 'string', default: '3600' },
  },
});
const server = await serveDir(opt.dist);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page exception] ${e.message}`));
  const started = Date.now();
  await page.goto(`${server.url}?bench=webgpu&bench_steps=${opt.steps}`);
  let shown = 0;
  for (;;) {
    const status = await page.getByTestId('bench-status').innerText().catch(() => '');
    const text = await page.getByTestId('bench-results').innerText().catch(() => '');
    const lines = text.split('\n').filter((l) => l.startsWith('{'));
    for (const l of lines.slice(shown)) console.error(`${((Date.now() - started) / 1e3).toFixed(0)} s: ${l}`);
    shown = lines.length;
    if (/Benchmark (done|failed)/.test(status)) {
      if (!/done/.test(status)) throw new Error(status);
      const rows = lines.map((l) => JSON.parse(l));
      if (opt.out) writeFileSync(opt.out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const head = ['model', 'ms/step', 'dispatches', 'submits', 'buffers', 'maps', 'bytes read', 'writes', 'bind groups', 'pipelines in warm-up', 'new after warm-up (shaders / pipelines)'];
      console.log(`| ${head.join(' | ')} |\n|${'---|'.repeat(head.length)}`);
      for (const r of rows) {
        const g = r.gpu ?? {};
        const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
        console.log(`| ${[r.model, f(1e3 / r.steps_per_s, 0), f(g.dispatches_per_step), f(g.submits_per_step, 2), f(g.buffers_per_step), f(g.maps_per_step, 2), f(g.bytes_read_back_per_step, 0), f(g.writes_per_step), f(g.bind_groups_per_step), f(g.pipelines_in_warmup, 0), `${f(g.shader_modules_after_warmup, 0)} / ${f(g.pipelines_after_warmup, 0)}`].join(' | ')} |`);
      }
      console.log(`(${rows[0]?.backend}; ${opt.steps} timed steps after as many warm-up steps, batch ${rows[0]?.batch_size}; ${opt.dist})`);
      break;
    }
    if (Date.now() - started > Number(opt.timeout) * 1e3) throw new Error(`timed out: ${status}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
} finally {
  await browser.close();
  server.close();
}
