//! Native wgpu's GPU work, counted from wgpu's own API trace (`dml-lab bench --backend wgpu
//! --count`, a binary built with `--features gpu-trace`): the same figures the page counts at
//! the browser's `GPU…` methods (`src/ui/gpu_counts.js`), here from the actions wgpu records as
//! the run calls it: compute dispatches, queue submits, buffers, uploads, shader modules,
//! pipelines, bind groups, and readbacks (wgpu does not trace a buffer map, so a readback is
//! counted as its copy into a `MAP_READ` buffer, which is how cubecl reads a tensor back).
//!
//! wgpu writes one RON action after another to `trace.ron` as they happen, so the counter
//! reads only what was appended since its last look.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::train::bench::GpuTotals;

/// A trace being written by wgpu, and the counts of what it holds so far.
pub struct Trace {
    file: PathBuf,
    state: RefCell<(u64, TraceCounter)>,
}

impl Trace {
    /// The totals of every action wgpu has written so far (reads what was appended).
    pub fn totals(&self) -> GpuTotals {
        let mut state = self.state.borrow_mut();
        let (offset, counter) = &mut *state;
        let mut text = Vec::new();
        let read = std::fs::File::open(&self.file).and_then(|mut f| {
            f.seek(SeekFrom::Start(*offset))?;
            f.read_to_end(&mut text)
        });
        if let Ok(n) = read {
            // wgpu writes whole actions; a cut inside a UTF-8 character cannot happen in RON
            // text that is ASCII (labels aside), and is read again next time if it does.
            let valid = match std::str::from_utf8(&text) {
                Ok(t) => t.len(),
                Err(e) => e.valid_up_to(),
            };
            counter.feed(std::str::from_utf8(&text[..valid]).unwrap_or_default());
            *offset += valid.min(n) as u64;
        }
        counter.totals()
    }
}

/// Native wgpu on a device of our own making, with wgpu's trace written to `dir` (created if
/// missing, emptied of an earlier trace): the adapter, features and limits cubecl itself asks
/// for, so that the run issues the same work as an untraced one.
#[cfg(feature = "gpu-trace")]
pub fn traced_wgpu(dir: &Path) -> Result<(burn::prelude::Device, Trace), String> {
    use burn::tensor::wgpu::{wgpu, WgpuSetup};
    let _ = std::fs::remove_file(dir.join("trace.ron"));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let setup = pollster::block_on(async {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::PRIMARY,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("no wgpu adapter: {e}"))?;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: None,
                required_features: adapter
                    .features()
                    .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
                required_limits: adapter.limits(),
                memory_hints: wgpu::MemoryHints::MemoryUsage,
                trace: wgpu::Trace::Directory(dir.to_path_buf()),
                // SAFETY: what cubecl enables on its own devices (passthrough shaders, which
                // the lab never creates).
                experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
            })
            .await
            .map_err(|e| format!("wgpu device: {e}"))?;
        let backend = adapter.get_info().backend;
        Ok::<_, String>(WgpuSetup {
            instance,
            adapter,
            device,
            queue,
            backend,
        })
    })?;
    let device = burn::prelude::Device::wgpu_options()
        .setup(setup)
        .init()
        .map_err(|e| format!("wgpu: {e}"))?;
    let trace = Trace {
        file: dir.join("trace.ron"),
        state: RefCell::new((0, TraceCounter::default())),
    };
    Ok((device, trace))
}

/// Without the trace compiled in, says how to get it.
#[cfg(not(feature = "gpu-trace"))]
pub fn traced_wgpu(_dir: &Path) -> Result<(burn::prelude::Device, Trace), String> {
    Err("counting GPU work needs wgpu's trace: build with \
         `cargo build --release --features gpu-trace`"
        .into())
}

/// Running totals over a growing trace text.
#[derive(Debug, Default)]
pub struct TraceCounter {
    totals: GpuTotals,
    /// Submission indices seen (one `Submit` action per command buffer).
    last_submission: Option<u64>,
    /// Buffers by id: whether each was created for reading back (`MAP_READ`).
    readable: HashMap<u64, bool>,
    /// The unfinished action at the end of the text read so far.
    carry: String,
}

impl TraceCounter {
    pub fn totals(&self) -> GpuTotals {
        self.totals
    }

    /// Counts the actions in `text`, the trace's next bytes. wgpu writes each action in pretty
    /// RON from column 0, its inner lines indented, and ends it with a column-0 line ending in
    /// a comma (`)),` or a one-line `DropBuffer(PointerId(7)),`); an action not yet ended is
    /// kept until the rest arrives, so the totals only ever hold whole actions.
    pub fn feed(&mut self, text: &str) {
        self.carry.push_str(text);
        let buf = std::mem::take(&mut self.carry);
        let mut action_start = 0;
        let mut line_start = 0;
        while let Some(nl) = buf[line_start..].find('\n') {
            let line = &buf[line_start..line_start + nl];
            let ends = line.starts_with(|c: char| !c.is_whitespace()) && line.ends_with(',');
            line_start += nl + 1;
            if ends {
                self.action(&buf[action_start..line_start]);
                action_start = line_start;
            }
        }
        self.carry = buf[action_start..].to_string();
    }

    fn action(&mut self, a: &str) {
        let a = a.trim_start();
        let t = &mut self.totals;
        if a.starts_with("Submit(") {
            let index = number_after(a, "Submit(");
            if index.is_some() && index != self.last_submission {
                t.submits += 1.0;
                self.last_submission = index;
            }
            t.dispatches += a.matches("DispatchWorkgroups").count() as f64;
            for copy in a.split("CopyBufferToBuffer").skip(1) {
                let dst = id_after(copy, "dst:");
                if dst.is_some_and(|d| self.readable.get(&d) == Some(&true)) {
                    t.maps += 1.0;
                    t.bytes_read_back += number_after(copy, "size: Some(").unwrap_or(0) as f64;
                }
            }
        } else if a.starts_with("CreateBuffer(") {
            t.buffers_created += 1.0;
            if let Some(id) = id_after(a, "CreateBuffer(") {
                self.readable.insert(id, a.contains("MAP_READ"));
            }
        } else if a.starts_with("WriteBuffer(") {
            t.writes += 1.0;
            t.bytes_written += number_after(a, "size:").unwrap_or(0) as f64;
        } else if a.starts_with("CreateShaderModule(") {
            t.shader_modules += 1.0;
        } else if a.starts_with("CreateComputePipeline(") {
            t.pipelines += 1.0;
        } else if a.starts_with("CreateBindGroup(") {
            t.bind_groups += 1.0;
        }
    }
}

/// The first whole number after `key` in `s` (spaces skipped).
fn number_after(s: &str, key: &str) -> Option<u64> {
    let rest = s[s.find(key)? + key.len()..].trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The buffer id after `key`: `PointerId(N)`.
fn id_after(s: &str, key: &str) -> Option<u64> {
    let rest = &s[s.find(key)? + key.len()..];
    number_after(rest, "PointerId(")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Actions as wgpu 30 writes them to trace.ron (pretty RON, trimmed to the fields read).
    const TRACE: &str = r#"[
Init(
    desc: (
        label: None,
    ),
    backend: Vulkan,
),
CreateBuffer(PointerId(11), (
    label: None,
    size: 1024,
    usage: "COPY_SRC | COPY_DST | STORAGE | INDIRECT",
    mapped_at_creation: false,
)),
CreateBuffer(PointerId(12), (
    label: None,
    size: 256,
    usage: "MAP_READ | COPY_DST",
    mapped_at_creation: false,
)),
CreateShaderModule(
    id: PointerId(5),
    desc: (
        label: None,
    ),
    data: File("data1.wgsl"),
),
CreateComputePipeline(
    id: PointerId(6),
    desc: (
        label: None,
    ),
),
CreateBindGroupLayout(PointerId(7), (
    label: None,
)),
CreateBindGroup(PointerId(8), (
    label: None,
)),
WriteBuffer(
    id: PointerId(11),
    data: File("data2.bin"),
    offset: 0,
    size: 1024,
    queued: true,
),
Submit(1, [
    RunComputePass(
        pass: (
            label: None,
            commands: [
                SetPipeline(PointerId(6)),
                DispatchWorkgroups((4, 1, 1)),
                DispatchWorkgroups((2, 1, 1)),
            ],
        ),
        timestamp_writes: None,
    ),
]),
Submit(1, [
    CopyBufferToBuffer(
        src: PointerId(11),
        src_offset: 0,
        dst: PointerId(12),
        dst_offset: 0,
        size: Some(256),
    ),
    CopyBufferToBuffer(
        src: PointerId(12),
        src_offset: 0,
        dst: PointerId(11),
        dst_offset: 0,
        size: Some(256),
    ),
]),
DropBindGroup(PointerId(8)),
Submit(2, [
"#;

    #[test]
    fn counts_every_kind_of_action_whatever_the_split() {
        let mut whole = TraceCounter::default();
        whole.feed(TRACE);
        let t = whole.totals();
        assert_eq!(t.dispatches, 2.0);
        assert_eq!(
            t.submits, 1.0,
            "one submission index, two command buffers; the third unended"
        );
        assert_eq!(t.buffers_created, 2.0);
        assert_eq!(
            (t.maps, t.bytes_read_back),
            (1.0, 256.0),
            "only the copy into MAP_READ"
        );
        assert_eq!((t.writes, t.bytes_written), (1.0, 1024.0));
        assert_eq!(
            (t.shader_modules, t.pipelines, t.bind_groups),
            (1.0, 1.0, 1.0)
        );
        // Fed in pieces of every size, the totals are the same.
        for piece in [1, 7, 64, 500] {
            let mut split = TraceCounter::default();
            let chars: Vec<char> = TRACE.chars().collect();
            for chunk in chars.chunks(piece) {
                split.feed(&chunk.iter().collect::<String>());
            }
            assert_eq!(split.totals(), t, "pieces of {piece}");
        }
    }
}
