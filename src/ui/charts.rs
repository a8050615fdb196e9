//! The loss curve and the latent scatter, drawn by the same plotters code as the CLI's files.

use leptos::prelude::*;

use super::state::LabState;
use crate::report::plot::{loss_curves_svg, CLASS_COLORS};

/// Most points drawn on the loss curve; longer runs are thinned evenly.
const MAX_CURVE_POINTS: usize = 1500;

/// Live loss curve of the current run.
#[component]
pub fn LossChart() -> impl IntoView {
    let state = expect_context::<LabState>();
    let svg = move || {
        state.curves.with(|c| {
            loss_curves_svg(&c.thinned(MAX_CURVE_POINTS), 560, 260)
                .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"))
        })
    };
    view! {
        <section class="panel">
            <h2>"Training"</h2>
            <p class="muted">"Per step: metric = L_S; reconstruction and kl = parts of L_U (per pixel); active_triplets = share of mined triplets still violating the margin."</p>
            <div class="chart" data-testid="loss-chart" data-points=move || state.curves.with(|c| c.len()) inner_html=svg></div>
        </section>
    }
}

/// Metrics and the scatter of the test embeddings of the last run.
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<LabState>();
    view! {
        <section class="panel">
            <h2>"Test-set embeddings"</h2>
            {move || match state.result.get() {
                None => view! { <p class="muted">"Train a model to see its kNN accuracy, AMI and latent scatter."</p> }.into_any(),
                Some(r) => view! {
                    <table class="metrics">
                        <thead><tr><th>"probe"</th><th>"accuracy"</th><th>"AMI"</th></tr></thead>
                        <tbody><tr>
                            <td>"kNN (k=5, 5-fold)"</td>
                            <td data-testid="accuracy">{format!("{:.4}", r.accuracy)}</td>
                            <td data-testid="ami">{format!("{:.4}", r.ami)}</td>
                        </tr></tbody>
                    </table>
                    <p class="muted" data-testid="timing">
                        {format!("{:.1} ms/step · trained {:.1} s · evaluated {:.1} s{}", r.ms_per_step, r.train_seconds, r.eval_seconds,
                            if r.stopped_early { " · stopped early" } else { "" })}
                    </p>
                    <p class="muted">{format!("{} test images, PCA to 2-D when the latent has more than 2 dimensions", r.points)}</p>
                    <div class="chart scatter" data-testid="scatter" data-points=r.points inner_html=r.scatter_svg></div>
                    <ul class="legend" aria-label="classes">
                        {r.class_names.iter().enumerate().map(|(i, name)| {
                            let (red, green, blue) = CLASS_COLORS[i % CLASS_COLORS.len()];
                            view! {
                                <li><span class="swatch" style=format!("background: rgb({red},{green},{blue})")></span>{name.clone()}</li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}
