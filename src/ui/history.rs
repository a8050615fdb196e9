//! The run history kept in the browser's IndexedDB (`history.js`), so finished runs survive a
//! reload (or the page's own restart after an internal error) until the user deletes them.
//! Records cross into JavaScript as plain objects through serde-wasm-bindgen.

use serde::Serialize;
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
    // Maps as plain objects and u64 seeds as numbers, so the stored value reads like the JSON.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = record.serialize(&serializer).map_err(|e| e.to_string())?;
    let id = history_add(value).await.map_err(js_message)?;
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
        match serde_wasm_bindgen::from_value::<RunRecord>(entry.record) {
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
