//! The shareable link: the form's config mirrored in the address bar, a Copy-link button (the
//! link also starts the run), and the notices of a link that had bad parameters.

use leptos::prelude::*;

use super::host::{copy_to_clipboard, location_base, replace_query};
use super::state::{page_defaults, LabState};
use crate::link::to_query;

/// Keeps the address bar's query string equal to the form's config.
pub fn mirror_config_in_address_bar(state: LabState) {
    Effect::new(move |_| {
        let query = state.config.with(|c| to_query(c, &page_defaults(), false));
        replace_query(&query);
    });
}

/// Copy-link button, the link itself, and the link notices.
#[component]
pub fn SharePanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let copy = move |_| {
        let query = state
            .config
            .with_untracked(|c| to_query(c, &page_defaults(), true));
        let link = format!("{}?{query}", location_base());
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
            <Show when=move || !state.link_notices.with(Vec::is_empty)>
                <div class="notice" data-testid="link-notice" role="status">
                    <strong>"The link had parameters that could not be used:"</strong>
                    <ul>{move || state.link_notices.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                </div>
            </Show>
        </div>
    }
}
