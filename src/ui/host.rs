//! Browser services the core does not know about: fetching files, yielding to the event loop,
//! finding a WebGPU adapter.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::data::idx::MAX_IDX_BYTES;

/// A JavaScript error as text, after `context`.
pub(super) fn js_err(context: &str, e: JsValue) -> String {
    let text = e.as_string().or_else(|| {
        Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
    });
    format!("{context}: {}", text.unwrap_or_else(|| format!("{e:?}")))
}

/// The global object's `name` (the page's window or the training worker's scope).
fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|v| !v.is_undefined())
}

/// Milliseconds since the page (or worker) started (monotonic).
pub fn now_ms() -> f64 {
    global("performance")
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Bytes of this wasm instance's memory (the page's, or the training worker's). WebAssembly
/// memory only grows, so this is also its peak so far.
pub fn wasm_memory_bytes() -> f64 {
    Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}

/// Lets the browser run pending events and paint (a `setTimeout(0)` round trip).
pub async fn yield_now() {
    sleep_ms(0).await;
}

/// Lets the event loop in (the page's, or the worker's message queue) after at most `every_ms`
/// of work: training observers call `breathe` after each event.
pub struct Pacer {
    every_ms: f64,
    last: f64,
}

impl Pacer {
    pub fn new(every_ms: f64) -> Self {
        Self {
            every_ms,
            last: now_ms(),
        }
    }

    /// Yields when `every_ms` have passed since the last yield (or `restart`).
    pub async fn breathe(&mut self) {
        if now_ms() - self.last > self.every_ms {
            yield_now().await;
            self.restart();
        }
    }

    /// Counts the next stretch of work from now (after a wait that let the event loop in).
    pub fn restart(&mut self) {
        self.last = now_ms();
    }
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep_ms(ms: i32) {
    // The global `setTimeout`: the page's, or the training worker's (which has no window).
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(f) = global("setTimeout").and_then(|f| f.dyn_into::<Function>().ok()) {
            let _ = f.call2(&JsValue::NULL, &resolve, &ms.into());
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// GETs a gzip file and returns it decompressed by the browser's own `DecompressionStream`
/// (native code) or, where there is none, by the Rust decoder.
///
/// The stream is fed a slice at a time and the page yields to the browser every few
/// milliseconds: piped in one go, inflating MNIST's training images (47 MB) kept the main
/// thread busy in tasks of 50–90 ms each.
pub async fn fetch_gunzipped(url: &str) -> Result<Vec<u8>, String> {
    let compressed = read_body(url, &fetch_ok(url).await?).await?;
    let Some(inflate) = native_gunzip() else {
        return crate::data::idx::gunzip(&compressed.to_vec(), MAX_IDX_BYTES)
            .map_err(|e| format!("{url}: {e}"));
    };
    inflate_paced(&inflate, compressed)
        .await
        .map_err(|e| format!("{} (is it a gzip file?)", js_err(url, e)))
}

/// Input slice written to the decompressor at a time (it inflates to about 5× as much).
const INFLATE_SLICE: u32 = 64 * 1024;

/// Runs `compressed` through the `DecompressionStream` `inflate`: a task writes it slice by
/// slice, each write waiting for the output to be read, while this loop reads and yields.
async fn inflate_paced(inflate: &JsValue, compressed: Uint8Array) -> Result<Vec<u8>, JsValue> {
    let method = |o: &JsValue, name: &str| -> Result<JsValue, JsValue> {
        let f: Function = Reflect::get(o, &name.into())?.dyn_into()?;
        f.call0(o)
    };
    let writer = method(&Reflect::get(inflate, &"writable".into())?, "getWriter")?;
    let reader = method(&Reflect::get(inflate, &"readable".into())?, "getReader")?;
    let write: Function = Reflect::get(&writer, &"write".into())?.dyn_into()?;
    // A gzip file ends with its inflated size modulo 2^32 (exact below 4 GiB), reserved up
    // front when it is plausible: within the cap and deflate's 1032:1 ratio (a file that is
    // not gzip must not grow the page's memory by the cap).
    let n = compressed.length();
    let mut tail = [0u8; 4];
    if n >= 4 {
        compressed.subarray(n - 4, n).copy_to(&mut tail);
    }
    let size = u32::from_le_bytes(tail) as usize;
    let size = if size <= MAX_IDX_BYTES.min(1032 * n as usize) {
        size
    } else {
        0
    };
    wasm_bindgen_futures::spawn_local(async move {
        let mut at = 0;
        while at < n {
            let end = (at + INFLATE_SLICE).min(n);
            let written = write.call1(&writer, &compressed.subarray(at, end));
            let Ok(written) = written.and_then(|p| p.dyn_into::<Promise>()) else {
                return;
            };
            // A corrupt stream rejects here and in the reader, which reports it.
            if JsFuture::from(written).await.is_err() {
                return;
            }
            at = end;
        }
        if let Ok(closed) = method(&writer, "close").and_then(|p| p.dyn_into::<Promise>()) {
            let _ = JsFuture::from(closed).await;
        }
    });
    let mut out = Vec::with_capacity(size);
    let mut pacer = Pacer::new(8.0);
    loop {
        let next = JsFuture::from(method(&reader, "read")?.dyn_into::<Promise>()?).await?;
        if Reflect::get(&next, &"done".into())?.is_truthy() {
            return Ok(out);
        }
        let chunk: Uint8Array = Reflect::get(&next, &"value".into())?.dyn_into()?;
        let start = out.len();
        if start + chunk.length() as usize > MAX_IDX_BYTES {
            let _ = method(&reader, "cancel");
            return Err(format!("larger than the {MAX_IDX_BYTES}-byte cap once inflated").into());
        }
        out.resize(start + chunk.length() as usize, 0);
        chunk.copy_to(&mut out[start..]);
        pacer.breathe().await;
    }
}

/// A `DecompressionStream("gzip")`, when the browser has one (looked up dynamically: web-sys
/// marks it unstable).
fn native_gunzip() -> Option<JsValue> {
    let ctor: Function = Reflect::get(&js_sys::global(), &"DecompressionStream".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Reflect::construct(&ctor, &js_sys::Array::of1(&"gzip".into())).ok()
}

async fn fetch_ok(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| js_err(url, e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|e| js_err(url, e))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    Ok(response)
}

/// The whole body, still in JavaScript's memory (copied into wasm by the caller, if at all).
async fn read_body(url: &str, response: &web_sys::Response) -> Result<Uint8Array, String> {
    let buffer = response.array_buffer().map_err(|e| js_err(url, e))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| js_err(url, e))?;
    Ok(Uint8Array::new(&buffer))
}

/// Writes a message into the page's fatal-error banner (used by the panic hook).
pub fn show_fatal(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(el) = document.get_element_by_id("fatal") {
        el.set_text_content(Some(message));
        // A class, not a style attribute: the page's CSP refuses inline styles.
        el.set_class_name("fatal shown");
    }
}

/// GETs a file as bytes (no decompression), refusing bodies above `limit` bytes when the
/// server says how large they are.
pub async fn fetch_bytes(url: &str, limit: usize) -> Result<Vec<u8>, String> {
    let response = fetch_ok(url).await?;
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(n) = declared.filter(|&n| n > limit) {
        return Err(format!("{url}: {n} bytes, above the {limit}-byte cap"));
    }
    let bytes = read_body(url, &response).await?;
    if bytes.length() as usize > limit {
        return Err(format!(
            "{url}: {} bytes, above the {limit}-byte cap",
            bytes.length()
        ));
    }
    Ok(bytes.to_vec())
}

/// Reads a user-picked (or dropped) file into memory, refusing it unread above `limit` bytes.
pub async fn read_file(file: &web_sys::File, limit: usize) -> Result<Vec<u8>, String> {
    let name = file.name();
    let size = file.size() as usize;
    if size > limit {
        return Err(format!("{name}: {size} bytes, above the {limit}-byte cap"));
    }
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| js_err(&name, e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    download_part(name, mime, &JsValue::from_str(text))
}

/// Offers bytes as a file download.
pub fn download_bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    download_part(name, mime, &Uint8Array::from(bytes))
}

/// Offers one blob part (a string or a byte array) as a file download.
fn download_part(name: &str, mime: &str, part: &JsValue) -> Result<(), String> {
    let parts = js_sys::Array::of1(part);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| js_err("download", e))?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_err("download", e))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| js_err("download", e))?
        .dyn_into()
        .map_err(|_| "download: not an anchor".to_string())?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// A fault a test asks for by setting `window.__dmlLabFault` from a page script (links cannot
/// set it, and the page's CSP refuses scripts from anywhere else): `"panic"` makes the next
/// Train panic, to exercise the restart after an internal error; `"worker-panic"` panics in
/// the training worker; `"stall-<step>"` makes a start-up step never answer (`startup`), and
/// `"stall-webgpu"` the WebGPU device.
///
/// Read from the global object: the page's window, or in the training worker its scope, where
/// the worker puts the fault the page sent with the run ([`set_injected_fault`]).
pub fn injected_fault() -> Option<String> {
    Reflect::get(&js_sys::global(), &"__dmlLabFault".into())
        .ok()?
        .as_string()
}

/// Makes `fault` the training worker's injected fault (see [`injected_fault`]).
pub fn set_injected_fault(fault: Option<&str>) {
    let value = fault.map_or(JsValue::UNDEFINED, JsValue::from_str);
    let _ = Reflect::set(&js_sys::global(), &"__dmlLabFault".into(), &value);
}

/// A start-up step's bound (ms) when a test sets `window.__dmlLabStartBoundMs` from a page
/// script (a number for every step, or `{ step: ms }`), so that a stall it injects is noticed
/// in seconds (`startup`).
pub fn test_start_bound_ms(step: &str) -> Option<f64> {
    let window = web_sys::window()?;
    let set = Reflect::get(&window, &"__dmlLabStartBoundMs".into()).ok()?;
    set.as_f64()
        .or_else(|| Reflect::get(&set, &step.into()).ok()?.as_f64())
        .filter(|ms| *ms > 0.0)
}

/// `future`'s output, or `None` when it has not finished after `ms` milliseconds.
pub async fn within<T>(ms: f64, future: impl std::future::Future<Output = T>) -> Option<T> {
    use futures::future::{select, Either};
    let timer = sleep_ms(ms.min(i32::MAX as f64) as i32);
    match select(std::pin::pin!(future), std::pin::pin!(timer)).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

/// The page's query string (with its `?`), or "".
pub fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The page's address without its query string.
pub fn location_base() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// Replaces the address bar's query string without reloading or adding a history entry.
pub fn replace_query(query: &str) {
    let url = if query.is_empty() {
        location_base()
    } else {
        format!("?{query}")
    };
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// Puts `text` on the clipboard when the browser allows it (it may refuse without a user
/// gesture or permission; the page shows the link either way).
pub fn copy_to_clipboard(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}
