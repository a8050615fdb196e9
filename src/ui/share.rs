//! The shareable link: the form's config mirrored in the address bar, a Copy-link button (the
//! link also starts the run), and the notices of a link that had bad parameters.

use leptos::prelude::*;

use super::host::{copy_to_clipboard, location_base, replace_query};
use super::state::{link_defaults, LabState};
use crate::link::{share_query, OlderDefaults, CURRENT_VERSION};

/// The link's query: its version, the config's fields that differ from the page's defaults
/// for its model, the URL the data came from (if any), `run=1` when asked.
fn link_query(state: LabState, autostart: bool, tracked: bool) -> String {
    let (config, data_url) = if tracked {
        (state.config.get(), state.data_url.get())
    } else {
        (state.config.get_untracked(), state.data_url.get_untracked())
    };
    share_query(&config, &link_defaults(), data_url.as_deref(), autostart)
}

/// Keeps the address bar's query string equal to the form's config (the benchmark page,
/// `?bench=cpu|webgpu`, keeps its own address).
pub fn mirror_config_in_address_bar(state: LabState) {
    if super::bench::requested().is_some() {
        return;
    }
    Effect::new(move |_| replace_query(&link_query(state, false, true)));
}

/// Copy-link button, the link itself, and the link notices.
#[component]
pub fn SharePanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let copy = move |_| {
        let link = format!("{}?{}", location_base(), link_query(state, true, false));
        copy_to_clipboard(&link);
        state.share_link.set(Some(link));
    };
    view! {
        <div class="share">
            <button data-testid="copy-link" on:click=copy title="A link that opens this page with this experiment and runs it">"Copy link"</button>
            <Show when=move || state.share_link.get().is_some()>
                <input readonly data-testid="share-link" aria-label="link to this experiment"
                    prop:value=move || state.share_link.get().unwrap_or_default() />
            </Show>
            {move || state.older_defaults.get().map(|older| view! { <OlderDefaultsNotice older /> })}
            <Show when=move || !state.link_notices.with(Vec::is_empty)>
                <div class="notice" data-testid="link-notice" role="status">
                    <strong>"The link had parameters that could not be used:"</strong>
                    <ul>{move || state.link_notices.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                </div>
            </Show>
        </div>
    }
}

/// A link read against older defaults: which version it restores, what today's would change,
/// and a button that takes today's (the link's own parameters kept).
#[component]
fn OlderDefaultsNotice(older: OlderDefaults) -> impl IntoView {
    let state = expect_context::<LabState>();
    let OlderDefaults {
        version,
        today,
        changes,
    } = older;
    let made = if version == 1 {
        "This link names no version of the defaults (no v=), so it restores the lab's first defaults (version 1), as links made before versions existed do.".to_string()
    } else {
        format!(
            "This link was made with the lab's defaults of version {version} and restores them."
        )
    };
    let take = move |_| {
        state.config.set(today.clone());
        state.older_defaults.set(None);
        state.status.set(format!(
            "Using today's defaults (version {CURRENT_VERSION}) with the link's own settings."
        ));
    };
    view! {
        <div class="notice" data-testid="version-notice" data-version=version role="status">
            <p>{made}" "{format!("Today's defaults (version {CURRENT_VERSION}) would change: {}.", changes.join(", "))}</p>
            <button data-testid="use-today" on:click=take>{format!("Use today's defaults (version {CURRENT_VERSION})")}</button>
        </div>
    }
}
