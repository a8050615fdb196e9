//! The latent scatter panel: a canvas drawn by `scatter.js` (hover shows the image and label,
//! wheel/drag or keys zoom and pan), refreshed every couple of seconds while a model trains (the
//! first test images, from the worker) and with every test image when the run has been
//! evaluated.

use js_sys::{Float32Array, Uint32Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::state::{LabState, ScatterCaption};
use crate::data::ImageSet;
use crate::eval::diagnostics::ACTIVE_THRESHOLD;
use crate::eval::tsne::{TSNE_ITERATIONS, TSNE_PERPLEXITY};
use crate::report::plot::{latent_bars_svg, CLASS_COLORS};
use crate::report::{Projection, Scatter};

#[wasm_bindgen(module = "/src/ui/scatter.js")]
extern "C" {
    #[wasm_bindgen(js_name = scatterShow)]
    #[allow(clippy::too_many_arguments)]
    fn scatter_show(
        host: &JsValue,
        points: Float32Array,
        labels: Uint8Array,
        components: Float32Array,
        colors: js_sys::Array,
        class_names: js_sys::Array,
        axes: &str,
        indices: JsValue,
        keep_view: bool,
        bounds: JsValue,
        testid: &str,
    );
    #[wasm_bindgen(js_name = scatterImages)]
    fn scatter_images(host: &JsValue, pixels: Uint8Array, count: u32, rows: u32, cols: u32);
}

/// The colours of `classes` classes and their names, as scatter.js takes them.
fn colors_and_names(class_names: &[String]) -> (js_sys::Array, js_sys::Array) {
    let colors = js_sys::Array::new();
    for (r, g, b) in CLASS_COLORS.iter().cycle().take(class_names.len()) {
        colors.push(&format!("rgb({r},{g},{b})").into());
    }
    let names = js_sys::Array::new();
    class_names.iter().for_each(|n| {
        names.push(&n.as_str().into());
    });
    (colors, names)
}

/// Hands `scatter` to scatter.js on `host` (see `scatterShow` there for the arguments).
fn draw(
    host: &JsValue,
    scatter: &Scatter,
    class_names: &[String],
    indices: JsValue,
    keep_view: bool,
    bounds: JsValue,
    testid: &str,
) {
    let points: Vec<f32> = scatter.points.iter().flatten().copied().collect();
    let components: Vec<f32> = scatter
        .components
        .iter()
        .flat_map(|c| [c.center[0], c.center[1], c.radius])
        .collect();
    let (colors, names) = colors_and_names(class_names);
    scatter_show(
        host,
        Float32Array::from(&points[..]),
        Uint8Array::from(&scatter.labels[..]),
        Float32Array::from(&components[..]),
        colors,
        names,
        scatter.axis_prefix(),
        indices,
        keep_view,
        bounds,
        testid,
    );
}

/// Gives the tooltip of the scatter on `host` the test images.
fn give_images(host: &JsValue, test: &ImageSet) {
    scatter_images(
        host,
        Uint8Array::from(&test.pixels[..]),
        test.len() as u32,
        test.rows as u32,
        test.cols as u32,
    );
}

/// Draws `scatter` on `host` within `bounds` (`[x0, x1, y0, y1]`: scatters side by side at one
/// scale), its canvas marked `testid`; `images`: the test images for the tooltip.
pub fn show_in(
    host: &JsValue,
    scatter: &Scatter,
    class_names: &[String],
    bounds: [f64; 4],
    testid: &str,
    images: Option<&ImageSet>,
) {
    let bounds = js_sys::Float64Array::from(&bounds[..]).into();
    draw(
        host,
        scatter,
        class_names,
        JsValue::NULL,
        false,
        bounds,
        testid,
    );
    if let Some(test) = images {
        give_images(host, test);
    }
}

/// Draws `scatter` (point `i` is test image `indices[i]`, or image `i`).
pub fn show(
    state: LabState,
    scatter: &Scatter,
    indices: Option<&[u32]>,
    class_names: &[String],
    training: Option<(usize, usize)>,
) {
    let Some(host) = state.session.with_value(|s| s.scatter_host.clone()) else {
        return;
    };
    // A later snapshot of the same run keeps the user's zoom; a new run starts from the whole view.
    let keep_view = state
        .scatter
        .with_untracked(|c| c.as_ref().is_some_and(|c| c.training.is_some()));
    let indices = indices.map_or(JsValue::NULL, |i| Uint32Array::from(i).into());
    draw(
        &host,
        scatter,
        class_names,
        indices,
        keep_view,
        JsValue::NULL,
        "scatter-canvas",
    );
    if state.first_scatter_ms.get_untracked().is_none() {
        let since = super::host::now_ms() - state.run_started_ms.get_untracked();
        state.first_scatter_ms.set(Some(since));
    }
    state.scatter.set(Some(ScatterCaption {
        training,
        points: scatter.points.len(),
        components: scatter.components.len(),
        axes: scatter.axes.clone(),
        seconds: None,
    }));
}

/// Keeps the finished run's scatter (and, when it trained in the page, its embeddings) for the
/// projection choice (the page asks for another projection once the run has ended).
pub fn show_finished(
    state: LabState,
    outcome: &crate::pipeline::Finished,
    data: &crate::data::Dataset,
) {
    show(state, &outcome.scatter, None, &data.class_names, None);
    let embeddings = (!outcome.embeddings.is_empty()).then(|| {
        (
            outcome.embeddings.clone(),
            outcome.record.config.lsdim,
            data.test.labels.clone(),
        )
    });
    state.session.update_value(|s| {
        s.last_scatter = Some((outcome.scatter.clone(), data.class_names.clone()));
        s.embeddings = embeddings;
    });
}

/// The test images the tooltip shows.
pub fn set_images(state: LabState, test: &ImageSet) {
    if let Some(host) = state.session.with_value(|s| s.scatter_host.clone()) {
        give_images(&host, test);
    }
}

/// Bars of each latent dimension's variance (and the unit prior's KL per dimension) of the
/// last run, for variational models.
#[component]
fn LatentBars() -> impl IntoView {
    let state = expect_context::<LabState>();
    move || {
        state.latent_bars.get().map(|d| {
            let svg = latent_bars_svg(&d, 300, if d.kl_per_dim.is_some() { 360 } else { 200 })
                .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"));
            let summary = format!(
                "{} of {} dimensions active (variance of the mean > {ACTIVE_THRESHOLD}){}",
                d.active_units,
                d.variance.len(),
                d.kl_nats
                    .map(|kl| format!("; KL to the prior {kl:.2} nats per image"))
                    .unwrap_or_default()
            );
            view! {
                <figure class="latent-bars" data-testid="latent-bars" data-active=d.active_units data-dims=d.variance.len()>
                    <div class="chart" inner_html=svg></div>
                    <figcaption class="muted">{summary}</figcaption>
                </figure>
            }
        })
    }
}

/// PCA or t-SNE for the finished run (d > 2); while a model trains the scatter is PCA.
#[component]
fn ProjectionChoice(reproject: Callback<()>) -> impl IntoView {
    let state = expect_context::<LabState>();
    let usable = move || {
        !state.running.get()
            && !state.projecting.get()
            && state.scatter.with(|c| {
                c.as_ref()
                    .is_some_and(|c| c.training.is_none() && c.axes != "latent")
            })
    };
    let choose = move |ev: leptos::ev::Event| {
        if let Some(p) = Projection::parse(&event_target_value(&ev)) {
            state.projection.set(p);
            reproject.run(());
        }
    };
    view! {
        <label class="projection" title="How the finished run's embeddings are drawn in 2-D when d > 2: PCA (linear, every test point) or t-SNE (non-linear, the first 2000 test points, computed in the worker).">
            "Projection "
            <select data-testid="projection" disabled=move || !usable() on:change=choose>
                {Projection::ALL.into_iter().map(|p| view! {
                    <option value=p.name() selected=move || state.projection.get() == p>{p.label()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The panel; its canvas is made by `scatter.js` on the first `show`. `reproject` shows the
/// finished run in the projection just chosen.
#[component]
pub fn LatentScatter(reproject: Callback<()>) -> impl IntoView {
    let state = expect_context::<LabState>();
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = host.get() {
            state
                .session
                .update_value(|s| s.scatter_host = Some(el.into()));
        }
    });
    let caption = move || {
        state.scatter.get().map(|c| {
            let what = match c.training {
                Some((e, s)) => format!("Training, epoch {e}, step {s}: the first {} test images", c.points),
                None if c.axes == "t-SNE" => format!("The first {} test images", c.points),
                None => format!("All {} test images", c.points),
            };
            let projection = match (c.axes.as_str(), c.seconds) {
                ("PCA", _) => "PCA of the latent space (its two leading axes: distances along them are the embedding's own)".to_string(),
                ("t-SNE", seconds) => format!(
                    "t-SNE of the latent space (perplexity {TSNE_PERPLEXITY}, {TSNE_ITERATIONS} iterations{}): it keeps each point's neighbours, not distances or cluster sizes",
                    seconds.map(|s| format!(", {s:.1} s")).unwrap_or_default()
                ),
                _ => "the 2-D latent space itself".to_string(),
            };
            format!("{what}, {projection}. Hover a point for its image; wheel or +/- zooms, drag or arrow keys pan, double click or 0 resets.")
        })
    };
    view! {
        <section class="panel latent">
            <div class="panel-head">
                <h2>"Latent space"</h2>
                <ProjectionChoice reproject=reproject />
            </div>
            <p class="muted" data-testid="scatter-caption">
                {move || caption().unwrap_or_else(|| "The test embeddings appear here once training starts.".into())}
            </p>
            {move || state.result.with(|r| r.as_ref().and_then(|r| r.collapse.clone())).map(|(why, fixes)| view! {
                <p class="warning" role="status" data-testid="collapse">
                    <strong>"The embedding collapsed: "</strong>{why}". What usually fixes it: "{fixes}"."
                </p>
            })}
            <div class="latent-row">
            <div class="scatter-host" data-testid="scatter" node_ref=host
                data-points=move || state.scatter.with(|c| c.as_ref().map_or(0, |c| c.points))
                data-components=move || state.scatter.with(|c| c.as_ref().map_or(0, |c| c.components))
                data-epoch=move || state.scatter.with(|c| c.as_ref().and_then(|c| c.training).map(|(e, _)| e.to_string()).unwrap_or_else(|| "final".into()))
                data-axes=move || state.scatter.with(|c| c.as_ref().map(|c| c.axes.clone()).unwrap_or_default())
                data-projection-ms=move || state.scatter.with(|c| c.as_ref().and_then(|c| c.seconds).map(|s| format!("{:.0}", s * 1000.0)).unwrap_or_default())
                data-first-ms=move || state.first_scatter_ms.get().map(|ms| format!("{ms:.0}")).unwrap_or_default()
                data-step=move || state.scatter.with(|c| c.as_ref().and_then(|c| c.training).map(|(_, s)| s.to_string()).unwrap_or_default())></div>
            <LatentBars />
            </div>
            {move || state.scatter.with(|c| c.as_ref().is_some_and(|c| c.components > 0)).then(|| view! {
                <p class="muted">{move || format!("Dashed rings: the prior's {} component(s), one standard deviation.", state.scatter.with(|c| c.as_ref().map_or(0, |c| c.components)))}</p>
            })}
        </section>
    }
}
