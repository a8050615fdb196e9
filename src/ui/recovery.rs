//! What the page does after a Rust panic (`recovery.js`): note the message, restart itself with
//! the experiment and the saved runs restored, and show the message after the restart.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/ui/recovery.js")]
extern "C" {
    #[wasm_bindgen(js_name = noteCrashAndRestart)]
    fn note_crash_and_restart(message: &str, delay_ms: u32) -> bool;
    #[wasm_bindgen(js_name = takeCrashNote)]
    fn take_crash_note() -> Option<String>;
}

/// Seconds the page waits before restarting (time to read the message).
const RESTART_DELAY_S: u32 = 4;

/// Called by the panic hook: the banner's text, after scheduling the restart.
pub fn on_panic(message: &str) -> String {
    if note_crash_and_restart(message, RESTART_DELAY_S * 1000) {
        format!(
            "{message}. The page restarts in {RESTART_DELAY_S} s with your experiment (the address bar) and your saved runs."
        )
    } else {
        format!(
            "{message}. This happened again right after a restart, so the page stays as it is; reload it when ready (saved runs are kept)."
        )
    }
}

/// After a restart: the message of the internal error that caused it, once.
pub fn message_after_restart() -> Option<String> {
    take_crash_note()
}
