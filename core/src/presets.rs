//! Ready experiments to start from: the paper's headline cells, its collapse and how to fix
//! it, and this project's recipe, each a config built from the paper grid it comes from (so
//! the paper's pinned setup is described once, in [`crate::sweep`]) with what it gives as
//! measured in docs/results.md.

use serde_json::{json, Map, Value};

use crate::config::{BackendChoice, ExperimentConfig, ModelKind};
use crate::sweep::Grid;

/// One ready experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// A short title.
    pub name: &'static str,
    /// One line on what it shows.
    pub description: &'static str,
    /// What it gives (seed 0, measured in docs/results.md, which has the commands).
    pub expected: &'static str,
    /// How long it takes in the page from Train to the last probe, where measured
    /// (`node bench/time_to_accuracy.mjs`, docs/bench.md "Time to accuracy").
    pub takes: Option<&'static str>,
    pub config: ExperimentConfig,
}

/// Page times (headless Chromium, the CPU backend, seeds 0–2, a 2-core Xeon; docs/bench.md).
const TAKES_10PC: &str = "about 20 s in the page (16–17 s of training, 2.9–3.0 s of probes)";
const TAKES_6: &str = "about 90 s in the page (86–88 s of training, 3.2–3.5 s of probes)";
const TAKES_60: &str = "about 65 s in the page (61–62 s of training, 2.8 s of probes)";
const TAKES_6_RECIPE: &str = "about 6 minutes in the page (354 s of training)";
const TAKES_60_RECIPE: &str = "about 10 minutes in the page (627 s of training)";

/// The lab's defaults for `model` with `fields` set (backend Auto, as the page's default).
fn recommended(model: ModelKind, fields: Value) -> ExperimentConfig {
    match serde_json::to_value(ExperimentConfig::recommended(model)) {
        Ok(Value::Object(base)) => with_fields(base, fields),
        _ => with_fields(Map::new(), fields),
    }
}

/// The base of the named grid `grid` with `fields` set (backend Auto, as the page's default).
fn from_grid(grid: &str, fields: Value) -> ExperimentConfig {
    with_fields(
        Grid::named(grid).map(|g| g.base).unwrap_or_default(),
        fields,
    )
}

/// The config of the fields `base` with `fields` laid over them, on backend Auto.
fn with_fields(mut base: Map<String, Value>, fields: Value) -> ExperimentConfig {
    if let Value::Object(fields) = fields {
        base.extend(fields);
    }
    let mut config: ExperimentConfig =
        serde_json::from_value(Value::Object(base)).unwrap_or_default();
    config.backend = BackendChoice::Auto;
    config
}

/// Every preset, in the order the page lists them: the quick ones for each label budget
/// first (issue 35's targets), then the paper's cells and this project's full recipes.
// Long: a data table, the presets one after the other (each a few lines).
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "Quick: 10 % labels, .98",
            description: "DML (triplets on 6000 labelled images) for two epochs of 190 steps of batch 256, evaluated on the average of its last ~100 steps' weights (ema 0.99).",
            expected: "kNN accuracy ≈ .982 (seeds 1, 2: .980, .982)",
            takes: Some(TAKES_10PC),
            config: recommended(
                ModelKind::Dml,
                json!({"epochs": 2, "steps_per_epoch": 190, "ema": 0.99}),
            ),
        },
        Preset {
            name: "Quick: six labels",
            description: "Our six-label DML-AE recipe (below) at the page's batch of 32, cut to two epochs of 1500 steps.",
            expected: "kNN accuracy ≈ .951 (seeds 1, 2: .952, .949)",
            takes: Some(TAKES_6),
            config: from_grid(
                "ours-mnist",
                json!({"model": "dml-ae", "pl": 0.01, "alpha": 0.97, "epochs": 2, "steps_per_epoch": 1500, "batch_size": 32}),
            ),
        },
        Preset {
            name: "Quick: 60 labels",
            description: "Our 60-label recipe (below: augmentation, pseudo-labels) cut to two epochs of batch 64 at lr 1e-3.",
            expected: "kNN accuracy ≈ .950 (seeds 1, 2: .956, .954)",
            takes: Some(TAKES_60),
            config: from_grid(
                "ours-mnist",
                json!({"model": "dml-ae", "pl": 0.1, "augment": true, "pseudo_labels": 0.5, "epochs": 2, "batch_size": 64, "lr": 0.001}),
            ),
        },
        Preset {
            name: "Paper Table 1: DML with 10 % labels",
            description: "The paper's baseline: a triplet loss on 6000 labelled images, d = 10.",
            expected: "kNN accuracy ≈ .960 (paper .9466)",
            takes: None,
            config: from_grid("paper-table1", json!({"model": "dml", "pl": 10.0, "lsdim": 10})),
        },
        Preset {
            name: "Paper Table 1: six labels, the autoencoder decides",
            description: "0.01 % labelled (6 images): DML-AE at α = 1 is the autoencoder alone, and beats every cell with a metric term.",
            expected: "kNN accuracy ≈ .91 (paper .8377)",
            takes: None,
            config: from_grid(
                "paper-table1",
                json!({"model": "dml-ae", "pl": 0.01, "lsdim": 10, "alpha": 1.0}),
            ),
        },
        Preset {
            name: "Paper Table 3: the collapse",
            description: "The unit-Gaussian prior on the paper's loss scale (KL summed over d: β = 784) with 6 labels: every latent dimension collapses onto the prior.",
            expected: "kNN accuracy ≈ .29, 0 of 4 dimensions active: collapsed",
            takes: None,
            config: from_grid(
                "paper-table3",
                json!({"model": "dml-unit-prior", "pl": 0.01, "lsdim": 4, "alpha": 0.66}),
            ),
        },
        Preset {
            name: "The collapse, fixed by free bits",
            description: "The same run with free bits (0.5 nats per dimension): below that, the KL costs nothing.",
            expected: "kNN accuracy ≈ .49, 4 of 4 dimensions active",
            takes: None,
            config: from_grid(
                "paper-table3",
                json!({"model": "dml-unit-prior", "pl": 0.01, "lsdim": 4, "alpha": 0.66, "free_bits": 0.5}),
            ),
        },
        Preset {
            name: "Paper Table 4: MetricVAE, all labels",
            description: "The VampPrior VAE whose means carry the metric loss, L = L_U + γ·L_S with γ = 5, d = 10.",
            expected: "kNN accuracy ≈ .98 (paper ≈ .93)",
            takes: None,
            config: from_grid(
                "paper-table4",
                json!({"gamma": 5.0, "lsdim": 10}),
            ),
        },
        Preset {
            name: "Our recipe: six labels",
            description: "DML-AE at 0.01 % labelled (6 images, uniform as in the paper): semi-hard triplets (margin 0.2), BCE reconstruction at α = 0.97 (so few labels must not outweigh the 60 000 images), lr 2e-3, d = 10, 20 epochs of the joint schedule.",
            expected: "kNN accuracy ≈ .96 (paper .8377)",
            takes: Some(TAKES_6_RECIPE),
            config: from_grid("ours-mnist", json!({"model": "dml-ae", "pl": 0.01, "alpha": 0.97})),
        },
        Preset {
            name: "Our recipe: 60 labels, augmentation and pseudo-labels",
            description: "The same DML-AE at 0.1 % labelled, with augmented labelled images and, from epoch 2, pseudo-labels for the most confident half of each class (nearest labelled class prototype).",
            expected: "kNN accuracy ≈ .97 (paper .8881)",
            takes: Some(TAKES_60_RECIPE),
            config: from_grid(
                "ours-mnist",
                json!({"model": "dml-ae", "pl": 0.1, "augment": true, "pseudo_labels": 0.5}),
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{from_query, to_query};

    /// Each preset is a valid config that its own link gives back exactly, whatever defaults
    /// the link is made against and read with (the page's differ from the CLI's), and they are
    /// all different.
    #[test]
    fn every_preset_is_valid_and_survives_its_link() {
        let all = presets();
        let page_like = ExperimentConfig {
            epochs: 1,
            steps_per_epoch: 100,
            ..Default::default()
        };
        for (p, base) in all
            .iter()
            .flat_map(|p| [(p, ExperimentConfig::default()), (p, page_like.clone())])
        {
            p.config
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            let query = to_query(&p.config, &base, false);
            let back = from_query(&query, &base);
            assert!(back.notices.is_empty(), "{}: {:?}", p.name, back.notices);
            assert_eq!(back.config, p.config, "{}", p.name);
        }
        for (i, a) in all.iter().enumerate() {
            assert!(
                all[i + 1..].iter().all(|b| b.config != a.config),
                "{}",
                a.name
            );
        }
        // Built from the grids: the collapse preset runs on the paper's scale.
        let named = |name: &str| all.iter().find(|p| p.name.contains(name)).unwrap();
        assert_eq!(
            named("the collapse").config.loss_scale,
            crate::config::LossScale::Paper
        );
        assert_eq!(named("fixed by free bits").config.free_bits, 0.5);
        // The quick ones are the recipes they say they cut.
        let quick = named("Quick: six labels").config.clone();
        let recipe = named("Our recipe: six labels").config.clone();
        assert_eq!((quick.epochs, quick.batch_size), (2, 32));
        assert_eq!(
            ExperimentConfig {
                epochs: recipe.epochs,
                steps_per_epoch: recipe.steps_per_epoch,
                batch_size: recipe.batch_size,
                ..quick
            },
            recipe
        );
        let ten = named("Quick: 10 %").config.clone();
        assert_eq!(
            (ten.model, ten.pl, ten.epochs, ten.ema),
            (ModelKind::Dml, 10.0, 2, 0.99)
        );
    }
}
