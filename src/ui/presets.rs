//! The presets gallery: ready experiments (`crate::presets`), each a link that loads it into
//! the form (a plain click loads it in place; the link itself can be copied or opened).

use leptos::prelude::*;

use super::state::{link_defaults, LabState};
use crate::link::share_query;
use crate::presets::presets;

/// The gallery, folded under the form.
#[component]
pub fn PresetsPanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let items = presets()
        .into_iter()
        .map(|p| {
            let href = format!("?{}", share_query(&p.config, &link_defaults(), None, false));
            let config = p.config.clone();
            let load = move |ev: leptos::ev::MouseEvent| {
                // A plain click loads the preset in place; a modified click opens the link.
                if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0 {
                    return;
                }
                ev.prevent_default();
                if !state.running.get_untracked() {
                    state.config.set(config.clone());
                    state.status.set(format!("Loaded the preset \u{201c}{}\u{201d}: press Train.", p.name));
                }
            };
            view! {
                <li data-testid="preset">
                    <a href=href on:click=load>{p.name}</a>
                    <span class="muted">{format!(" {} Expect: {}.", p.description, p.expected)}</span>
                    {p.takes.map(|t| view! { <span class="muted" data-testid="preset-takes">{format!(" Takes {t}.")}</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="presets" data-testid="presets">
            <summary>"Presets"</summary>
            <ul class="preset-list">{items}</ul>
        </details>
    }
}
