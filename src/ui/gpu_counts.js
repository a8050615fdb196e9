// Counts the WebGPU work a run asks of the browser, at the WebGPU API itself: the methods of
// the `GPU…` prototypes are wrapped once per global (the page's window, or the training
// worker's scope), so every call burn's wgpu makes through the browser is counted, whatever
// burn thinks it does. `gpuCountsInstall()` wraps them (again: a no-op); `gpuCounts()` gives a
// snapshot of the totals so far, which the benchmark differences around its timed steps.

const counts = {
  dispatches: 0,
  submits: 0,
  command_buffers: 0,
  buffers_created: 0,
  buffer_bytes_created: 0,
  writes: 0,
  bytes_written: 0,
  maps: 0,
  bytes_read_back: 0,
  shader_modules: 0,
  pipelines: 0,
  bind_groups: 0,
  command_encoders: 0,
};

function wrap(proto, name, count) {
  const original = proto?.[name];
  if (typeof original !== 'function' || original.__dmlLabCounted) return;
  const counted = function (...args) {
    count(this, args);
    return original.apply(this, args);
  };
  counted.__dmlLabCounted = true;
  proto[name] = counted;
}

/** Wraps the WebGPU methods the lab's runs use; false when this global has no WebGPU. */
export function gpuCountsInstall() {
  const g = globalThis;
  if (typeof g.GPUDevice === 'undefined') return false;
  const read = typeof g.GPUMapMode !== 'undefined' ? g.GPUMapMode.READ : 1;
  wrap(g.GPUComputePassEncoder?.prototype, 'dispatchWorkgroups', () => counts.dispatches++);
  wrap(g.GPUComputePassEncoder?.prototype, 'dispatchWorkgroupsIndirect', () => counts.dispatches++);
  wrap(g.GPUQueue?.prototype, 'submit', (_, [buffers]) => {
    counts.submits++;
    counts.command_buffers += buffers?.length ?? 0;
  });
  wrap(g.GPUQueue?.prototype, 'writeBuffer', (_, [, , data, , size]) => {
    counts.writes++;
    counts.bytes_written += size ?? data?.byteLength ?? 0;
  });
  wrap(g.GPUDevice.prototype, 'createBuffer', (_, [descriptor]) => {
    counts.buffers_created++;
    counts.buffer_bytes_created += descriptor?.size ?? 0;
  });
  wrap(g.GPUBuffer?.prototype, 'mapAsync', (buffer, [mode, offset, size]) => {
    counts.maps++;
    if (mode & read) counts.bytes_read_back += size ?? buffer.size - (offset ?? 0);
  });
  wrap(g.GPUDevice.prototype, 'createShaderModule', () => counts.shader_modules++);
  wrap(g.GPUDevice.prototype, 'createComputePipeline', () => counts.pipelines++);
  wrap(g.GPUDevice.prototype, 'createComputePipelineAsync', () => counts.pipelines++);
  wrap(g.GPUDevice.prototype, 'createBindGroup', () => counts.bind_groups++);
  wrap(g.GPUDevice.prototype, 'createCommandEncoder', () => counts.command_encoders++);
  return true;
}

/** The totals since the wrappers were installed. */
export function gpuCounts() {
  return { ...counts };
}
