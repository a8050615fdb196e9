//! The run history kept in the browser's IndexedDB (`history.js`), so finished runs survive a
//! reload (or the page's own restart after an internal error) until the user deletes them.
//! Records are stored as their JSON text (entries listed through serde-wasm-bindgen).

use wasm_bindgen::prelude::*;

use crate::report::RunRecord;

#[wasm_bindgen(module = "/src/ui/history.js")]
extern "C" {
    #[wasm_bindgen(js_name = historyAdd, catch)]
    async fn history_add(record: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = historyAll, catch)]
    async fn history_all() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = historyDelete, catch)]
    async fn history_delete(id: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = historyClear, catch)]
    async fn history_clear() -> Result<JsValue, JsValue>;
}

/// A run read back from the history.
#[derive(serde::Deserialize)]
struct Stored {
    id: u32,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    record: JsValue,
}

fn js_message(e: JsValue) -> String {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .and_then(|err| err.message().as_string())
        .filter(|m| !m.is_empty());
    format!(
        "run history (IndexedDB): {}",
        text.or_else(|| e.as_string())
            .unwrap_or_else(|| format!("{e:?}"))
    )
}

/// Saves a finished run; returns its key.
pub async fn save(record: &RunRecord) -> Result<u32, String> {
    // As the run's JSON text: serde-wasm-bindgen built the same record as JS objects value by
    // value, which took the page's main thread 4.6 s for one run with its figures (measured
    // with User Timing marks); serde_json takes milliseconds.
    let text = serde_json::to_string(record).map_err(|e| e.to_string())?;
    let id = history_add(JsValue::from_str(&text))
        .await
        .map_err(js_message)?;
    id.as_f64()
        .map(|id| id as u32)
        .ok_or_else(|| "run history (IndexedDB): no key for the saved run".into())
}

/// Every saved run, oldest first, and how many stored entries could not be read (written by
/// another version of the lab, say); those are left in the store.
pub async fn load() -> Result<(Vec<(u32, RunRecord)>, usize), String> {
    let all = history_all().await.map_err(js_message)?;
    let entries: Vec<Stored> = serde_wasm_bindgen::from_value(all).map_err(|e| e.to_string())?;
    let mut runs = Vec::with_capacity(entries.len());
    let mut unreadable = 0;
    for entry in entries {
        // JSON text, or (saved by earlier versions of the lab) a structured object.
        let record = match entry.record.as_string() {
            Some(text) => serde_json::from_str::<RunRecord>(&text).map_err(|e| e.to_string()),
            None => {
                serde_wasm_bindgen::from_value::<RunRecord>(entry.record).map_err(|e| e.to_string())
            }
        };
        match record {
            Ok(record) => runs.push((entry.id, record)),
            Err(_) => unreadable += 1,
        }
    }
    Ok((runs, unreadable))
}

/// Deletes one saved run.
pub async fn delete(id: u32) -> Result<(), String> {
    history_delete(id).await.map(|_| ()).map_err(js_message)
}

/// Deletes every saved run.
pub async fn clear() -> Result<(), String> {
    history_clear().await.map(|_| ()).map_err(js_message)
}
