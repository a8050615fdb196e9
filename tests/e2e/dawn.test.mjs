// The Dawn runner (bench/dawn.mjs): the page's wasm module under Node with Dawn, Chrome's WebGPU.
// Here it runs on Dawn's OpenGL ES backend over Mesa's llvmpipe (`--software`): no GPU, but the
// same WebGPU API and the same worker code path, so the runner itself is tested; on a machine
// with a GPU it measures that GPU. Without `--software` on this machine Dawn finds no adapter
// (Debian 12's lavapipe is too old for it), and the runner must say so and exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { OUT } from './harness.mjs';

function runner(args, timeout) {
  const out = spawnSync(process.execPath, ['bench/dawn.mjs', ...args], { encoding: 'utf8', timeout });
  const last = out.stdout.trim().split('\n').at(-1) ?? '';
  return { status: out.status, result: last.startsWith('{') ? JSON.parse(last) : null, stderr: out.stderr };
}

test('the Dawn runner trains through the worker code path on WebGPU and matches the CPU', { timeout: 600_000 }, () => {
  const config = JSON.stringify({ steps_per_epoch: 10, batch_size: 32, lsdim: 4 });
  const r = runner(['--software', '--steps', '1', '--test-subset', '1000', '--config', config], 580_000);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.ok(r.result && !r.result.skipped, JSON.stringify(r.result));
  writeFileSync(`${OUT}/dawn-software.json`, JSON.stringify(r.result, null, 2) + '\n');
  assert.equal(r.result.software, true);
  assert.deepEqual(r.result.bench.map((b) => b.model), ['dml', 'dml-ae', 'dml-unit-prior', 'dml-gmm-prior', 'metric-vae']);
  for (const b of r.result.bench) assert.ok(b.steps_per_s > 0 && /WebGPU/.test(b.backend), JSON.stringify(b));
  const { wgpu, cpu } = r.result.runs;
  assert.match(wgpu.detail, /^WebGPU/);
  assert.match(cpu.detail, /^CPU/);
  assert.ok(wgpu.first_scatter_s > 0 && wgpu.first_scatter_s < wgpu.total_s, JSON.stringify(wgpu));
  // Same seed, same start: the two backends' runs agree (docs/robustness.md's tolerance).
  assert.ok(Math.abs(r.result.accuracy_difference) <= 0.02, JSON.stringify(r.result.runs));
  assert.ok(Math.abs(r.result.ami_difference) <= 0.02, JSON.stringify(r.result.runs));
  console.log(`dawn (llvmpipe): ${r.result.bench.map((b) => `${b.model} ${b.steps_per_s.toFixed(2)}`).join(', ')} steps/s; ` +
    `run: wgpu ${wgpu.knn_accuracy} vs cpu ${cpu.knn_accuracy}`);
});

test('without a usable adapter the Dawn runner says why and skips', { timeout: 120_000 }, () => {
  const r = runner(['--no-bench', '--no-run'], 110_000);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  if (r.result?.skipped) {
    assert.match(r.result.skipped, /no WebGPU adapter/);
    // With --require-adapter the same situation is an error (for scripts on a GPU machine).
    assert.equal(runner(['--no-bench', '--no-run', '--require-adapter'], 110_000).status, 3);
  } else {
    console.log(`Dawn found an adapter here: ${r.result?.adapter}`);
  }
});
