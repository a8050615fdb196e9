// Restart after an internal error (a Rust panic, after which the wasm instance cannot go on):
// the panic hook notes the message in sessionStorage and reloads the page, which comes back
// with its experiment (the address bar mirrors the form) and its saved runs (IndexedDB), and
// shows the message. A third crash within a minute stops the reloading.
const KEY = 'dml-lab-crash';
const WINDOW_MS = 60_000;
const MAX_RESTARTS = 2;

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
}

/** Notes the crash; schedules a reload unless the page keeps crashing. True when it reloads. */
export function noteCrashAndRestart(message, delayMs) {
  const now = Date.now();
  const previous = read();
  const count = previous && now - previous.time < WINDOW_MS ? previous.count + 1 : 1;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ message, time: now, count, shown: false }));
  } catch {
    return false; // without storage a restart could loop unseen
  }
  if (count > MAX_RESTARTS) return false;
  setTimeout(() => location.reload(), delayMs);
  return true;
}

/** The message of a crash that restarted the page and has not been shown yet. */
export function takeCrashNote() {
  const note = read();
  if (!note || note.shown) return undefined;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ ...note, shown: true }));
  } catch {
    // shown once more on the next load at worst
  }
  return String(note.message);
}
