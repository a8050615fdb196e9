// The training worker, both ends in one file.
//
// In the page (src/ui/remote.rs): `trainerStart` starts a module worker from this very file and
// hands it the URLs of the app's JS glue and wasm (Trunk's preload links), so the worker loads
// the same wasm module as the page; `trainerPost` sends it a message, `trainerEnd` terminates it.
//
// In the worker: the first message boots the wasm (its `main` sees no window and mounts
// nothing); every later message goes to the Rust `trainer_receive` (src/ui/worker.rs), which
// answers with `postMessage`. Messages are `{ json, bytes?, data? }` (src/ui/protocol.rs: the
// JSON is serde's, written and read in Rust); this file only adds `{ boot: 'started' | 'ready'
// | 'failed', error? }` and, on the page's side, `{ crash }` for a worker that fails outside
// Rust. The page times each boot step (src/ui/startup.rs) and falls back when one stalls.

let worker = null;

/** The app's glue script and wasm file, as Trunk links them from index.html. */
function appFiles() {
  const links = [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.href);
  const glue = links.find((href) => href.endsWith('.js') && !href.includes('/snippets/'));
  const wasm = document.querySelector('link[rel=preload][type="application/wasm"]')?.href;
  return glue && wasm ? { glue, wasm } : null;
}

/**
 * Starts the worker (once); `onMessage` gets each of its messages. False when it cannot run.
 * `fault`: a test's injected start-up stall (`stall-worker-boot`, `stall-wasm`), or null.
 */
export function trainerStart(onMessage, fault) {
  if (worker) return true;
  const files = appFiles();
  if (!files || typeof Worker === 'undefined') return false;
  try {
    worker = new Worker(new URL(import.meta.url), { type: 'module', name: 'dml-lab trainer' });
  } catch {
    return false;
  }
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    onMessage({ crash: `the training worker failed: ${e.message || 'unknown error'}` });
  };
  worker.postMessage({ boot: files, fault: fault ?? null });
  return true;
}

export function trainerPost(message, transfer) {
  worker?.postMessage(message, transfer);
}

/** Terminates the worker (after a crash or a stall: its wasm instance cannot go on). */
export function trainerEnd() {
  if (worker) worker.onmessage = worker.onerror = null;
  worker?.terminate();
  worker = null;
}

// The worker's side. WebKit evaluates this module a second time in the worker when the glue
// (which imports it, as wasm-bindgen's snippet) is imported below: a worker's entry module is
// not in WebKit's module map. A second handler would replace the first and queue every later
// message for a wasm instance it never boots (the page waited forever on "Starting the
// backend…"), so only the first evaluation installs one.
if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope && !self.__dmlLabTrainer) {
  self.__dmlLabTrainer = true;
  let receive = null;
  const early = [];
  self.onmessage = async (e) => {
    if (e.data?.boot) {
      const fault = e.data.fault;
      if (fault === 'stall-worker-boot') return;
      self.postMessage({ boot: 'started' });
      if (fault === 'stall-wasm') return;
      try {
        const glue = await import(e.data.boot.glue);
        await glue.default({ module_or_path: e.data.boot.wasm });
        receive = glue.trainer_receive;
      } catch (err) {
        self.postMessage({ boot: 'failed', error: String(err?.message ?? err) });
        return;
      }
      self.postMessage({ boot: 'ready' });
      early.splice(0).forEach((m) => receive(m));
      return;
    }
    if (receive) receive(e.data);
    else early.push(e.data);
  };
}
