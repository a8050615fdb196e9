//! Grids of experiments: the paper's tables as named grids, custom grids from JSON, expanded
//! into named configs and split into shards (`dml-lab sweep`).
//!
//! A grid is a base config plus groups; each group is the product of its axes (config field →
//! values), and the grid is the union of its groups, so that e.g. α varies only for the models
//! that have an α. Every run is named by the fields its group varies, which is also its JSON
//! file's name: a sweep skips runs whose file already exists, so it can stop and resume.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::config::{field, parse_value, value_text, ExperimentConfig};

/// A grid of experiments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    pub name: String,
    /// Fields every run shares (as in the run JSON's `config`); the rest take their defaults.
    #[serde(default)]
    pub base: Map<String, Value>,
    /// The grid is the union of these groups; each is the product of its axes.
    pub groups: Vec<BTreeMap<String, Vec<Value>>>,
}

/// One experiment of a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// The fields its group varies, e.g. `lsdim-10_model-dml_pl-0.1` (a file name).
    pub name: String,
    pub config: ExperimentConfig,
}

/// Names of the built-in grids.
pub const NAMED_GRIDS: [&str; 5] = [
    "paper-table1",
    "paper-table2",
    "paper-table3",
    "paper-table4",
    "ours-mnist",
];

impl Grid {
    /// A built-in grid (the paper's MNIST tables, see docs/results.md), or None.
    // Long: a data table, the built-in grids one after the other (each a few lines).
    pub fn named(name: &str) -> Option<Grid> {
        let on = |dataset: &str, schedule: &str| {
            let mut base = Map::new();
            base.insert("dataset".into(), json!(dataset));
            base.insert("schedule".into(), json!(schedule));
            base
        };
        let mnist = |schedule: &str| on("mnist", schedule);
        // The paper's tables pin every field of their setup (not only the ones they vary), so
        // that a change of the defaults leaves them alone; seed and backend come from the
        // sweep's flags.
        let paper = |dataset: &str, schedule: &str| {
            let mut base = on(dataset, schedule);
            let setup = json!({
                "epochs": 3, "batch_size": 256, "lr": 0.001, "steps_per_epoch": 0,
                "loss": "triplet", "miner": "batch-all", "margin": 1.0, "temperature": 0.1,
                "distance": "euclidean", "normalize": false, "m_per_class": 0, "augment": false, "balanced_labels": false, "contrast": 0.0,
                "neighbours": 0.0, "pseudo_labels": 0.0,
                "alpha": 0.5, "gamma": 1.0, "encoder": "mlp", "recon": "mse",
                "loss_scale": "paper", "kl_warmup": 0.0, "free_bits": 0.0,
                "prior_components": 0, "vamp_components": 100, "grad_clip": 0.0, "ema": 0.0,
                "model": "dml", "pl": 10.0, "lsdim": 10,
            });
            if let Value::Object(fields) = setup {
                base.extend(fields);
            }
            base
        };
        let axes = |pairs: Vec<(&str, Value)>| -> BTreeMap<String, Vec<Value>> {
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.as_array().cloned().unwrap_or_default()))
                .collect()
        };
        let grid = match name {
            // Tables 1 (MNIST) and 2 (OrganAMNIST): DML against DML-AE (weight α of the
            // reconstruction) per label budget.
            "paper-table1" | "paper-table2" => Grid {
                name: name.into(),
                base: paper(
                    if name == "paper-table1" {
                        "mnist"
                    } else {
                        "organamnist"
                    },
                    "alternating",
                ),
                groups: vec![
                    axes(vec![
                        ("model", json!(["dml"])),
                        ("pl", json!([0.01, 0.1, 10.0])),
                        ("lsdim", json!([2, 4, 10])),
                    ]),
                    axes(vec![
                        ("model", json!(["dml-ae"])),
                        ("pl", json!([0.01, 0.1, 10.0])),
                        ("lsdim", json!([2, 4, 10])),
                        ("alpha", json!([0.33, 0.5, 0.66, 1.0])),
                    ]),
                ],
            },
            // Table 3: the unit Gaussian and GMM priors, lsdim 2 and 4, α ∈ {.33, .66, 1}.
            "paper-table3" => Grid {
                name: name.into(),
                base: paper("mnist", "alternating"),
                groups: vec![axes(vec![
                    ("model", json!(["dml-unit-prior", "dml-gmm-prior"])),
                    ("pl", json!([0.01, 0.1, 10.0])),
                    ("lsdim", json!([2, 4])),
                    ("alpha", json!([0.33, 0.66, 1.0])),
                ])],
            },
            // Table 4: joint MetricVAE on fully labelled MNIST, L = L_U + γ·L_S.
            "paper-table4" => Grid {
                name: name.into(),
                base: {
                    let mut base = paper("mnist", "joint-gamma");
                    base.insert("model".into(), json!("metric-vae"));
                    base.insert("pl".into(), json!(100.0));
                    base
                },
                groups: vec![axes(vec![
                    ("gamma", json!([0.0, 2.0, 5.0, 10.0])),
                    ("lsdim", json!([2, 5, 10])),
                ])],
            },
            // Our recipe (issue 19, docs/results.md): joint schedule, semi-hard triplets
            // (margin 0.2), lr 2e-3, d = 10, 20 epochs; the autoencoder models with BCE and
            // α = 0.9, augmentation and pseudo-labels where the labels cover (nearly) every class.
            "ours-mnist" => Grid {
                name: name.into(),
                base: {
                    let mut base = mnist("joint");
                    let recipe = json!({
                        "lsdim": 10, "epochs": 20, "lr": 0.002, "miner": "semi-hard",
                        "margin": 0.2, "recon": "bce", "alpha": 0.9, "augment": false,
                        "pseudo_labels": 0.0,
                    });
                    if let Value::Object(fields) = recipe {
                        base.extend(fields);
                    }
                    base
                },
                groups: vec![
                    // 6 uniform labels: no augmentation, no pseudo-labels (four classes or
                    // more have no label to give), and α 0.97, as the metric term on so few
                    // labels can hurt (α 0.9: seed 1 .8825 against .9619 and .9532).
                    axes(vec![
                        ("model", json!(["dml-ae"])),
                        ("pl", json!([0.01])),
                        ("alpha", json!([0.9, 0.97])),
                    ]),
                    axes(vec![
                        ("model", json!(["dml-ae"])),
                        ("pl", json!([0.1])),
                        ("augment", json!([true])),
                        ("pseudo_labels", json!([0.5])),
                    ]),
                    axes(vec![("model", json!(["metric-vae"])), ("pl", json!([0.1]))]),
                    // The priors have no decoder: DML's recipe (augmentation, α 0.5) with
                    // pseudo-labels.
                    axes(vec![
                        ("model", json!(["dml-unit-prior", "dml-gmm-prior"])),
                        ("pl", json!([0.1])),
                        ("alpha", json!([0.5])),
                        ("augment", json!([true])),
                        ("pseudo_labels", json!([0.5])),
                    ]),
                    // 10 % labels: DML's defaults (augmentation, α 0.5) with the conv encoder
                    // (.9838 with the MLP at 10 epochs, seed 0) and the weight average, 5 epochs.
                    axes(vec![
                        ("model", json!(["dml"])),
                        ("pl", json!([10.0])),
                        ("alpha", json!([0.5])),
                        ("augment", json!([true])),
                        ("encoder", json!(["conv"])),
                        ("ema", json!([0.995])),
                        ("epochs", json!([5])),
                    ]),
                ],
            },
            _ => return None,
        };
        Some(grid)
    }

    /// Parses a custom grid (`{"name", "base", "groups"}`).
    pub fn from_json(text: &str) -> Result<Grid, String> {
        serde_json::from_str(text).map_err(|e| format!("not a grid: {e}"))
    }

    /// Every run of the grid with `extra` fields (e.g. seeds, epochs) laid over the base and the
    /// axes (an axis of a field in `extra` takes that one value, which the run's name then
    /// says), in a stable order, each config validated; runs with equal names are kept once.
    pub fn expand(&self, extra: &Map<String, Value>) -> Result<Vec<PlannedRun>, String> {
        if self.groups.is_empty() {
            return Err(format!("grid {}: no groups", self.name));
        }
        let mut runs: Vec<PlannedRun> = Vec::new();
        for group in &self.groups {
            let mut combos: Vec<Vec<(&String, &Value)>> = vec![vec![]];
            for (field, values) in group {
                if values.is_empty() {
                    return Err(format!("grid {}: axis {field} has no values", self.name));
                }
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.push((field, v));
                            c
                        })
                    })
                    .collect();
            }
            for combo in combos {
                let mut fields = self.base.clone();
                fields.extend(extra.clone());
                let mut name_parts = Vec::new();
                for (field, value) in combo {
                    let value = extra.get(field).unwrap_or(value);
                    fields.insert(field.clone(), value.clone());
                    name_parts.push(format!("{field}-{}", value_text(value)));
                }
                let config: ExperimentConfig = serde_json::from_value(Value::Object(fields))
                    .map_err(|e| format!("grid {}: {e}", self.name))?;
                config
                    .validate()
                    .map_err(|e| format!("grid {}: {e}", self.name))?;
                let name = name_parts.join("_");
                if !runs.iter().any(|r| r.name == name) {
                    runs.push(PlannedRun { name, config });
                }
            }
        }
        Ok(runs)
    }
}

/// Most runs one sweep of the page may queue.
pub const MAX_SWEEP_RUNS: usize = 60;

/// A sweep queued in the page, and how far it got.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// Each run's name (the fields it varies) and config, in order.
    pub runs: Vec<(String, ExperimentConfig)>,
    /// Runs started so far.
    pub started: usize,
    /// Runs that ended with an error: (name, message).
    pub failed: Vec<(String, String)>,
    /// Set by Stop: no further run starts.
    pub cancelled: bool,
}

impl Queue {
    /// Takes the next run, if the sweep goes on.
    pub fn take_next(&mut self) -> Option<(usize, String, ExperimentConfig)> {
        if self.cancelled {
            return None;
        }
        let (name, config) = self.runs.get(self.started)?.clone();
        self.started += 1;
        Some((self.started, name, config))
    }
}

/// Parses `field = v1, v2; field = …` into grid axes (each value read as its field reads text:
/// a name, a number, a flag) and expands them over `base`.
pub fn plan_axes(
    axes: &str,
    base: &ExperimentConfig,
) -> Result<Vec<(String, ExperimentConfig)>, String> {
    let mut group = std::collections::BTreeMap::new();
    for part in axes.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, values) = part
            .split_once('=')
            .ok_or_else(|| format!("\"{part}\": write field = value, value, …"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("\"{part}\": the field name is missing"));
        }
        let f = field(name).ok_or_else(|| format!("{name}: no such field"))?;
        let values: Vec<Value> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| parse_value(f, v).map_err(|e| format!("{name} = {v}: {e}")))
            .collect::<Result<_, _>>()?;
        if values.is_empty() {
            return Err(format!("{name}: no values"));
        }
        if group.insert(name.to_string(), values).is_some() {
            return Err(format!("{name} appears twice"));
        }
    }
    if group.is_empty() {
        return Err("no axes: write e.g. pl = 0.1, 1, 10; lsdim = 2, 4".into());
    }
    let size: usize = group.values().map(Vec::len).product();
    if size > MAX_SWEEP_RUNS {
        return Err(format!("{size} runs; a sweep in the page runs at most {MAX_SWEEP_RUNS} (the CLI's `dml-lab sweep` has no limit)"));
    }
    let grid = Grid {
        name: "page".into(),
        base: base.to_map(),
        groups: vec![group],
    };
    let runs = grid.expand(&Map::new())?;
    Ok(runs.into_iter().map(|r| (r.name, r.config)).collect())
}

/// Parses `i/n` (1 ≤ i ≤ n).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {text:?}: expected i/n with 1 <= i <= n, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Shard `i` of `n`: every n-th run starting at the i-th, so shards are disjoint, cover the
/// grid and get a similar mix of runs.
pub fn shard(runs: Vec<PlannedRun>, (i, n): (usize, usize)) -> Vec<PlannedRun> {
    runs.into_iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, r)| r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ModelKind, Schedule};

    #[test]
    fn named_grids_expand_to_valid_distinct_runs() {
        let sizes: Vec<usize> = NAMED_GRIDS
            .iter()
            .map(|name| {
                Grid::named(name)
                    .unwrap()
                    .expand(&Map::new())
                    .unwrap()
                    .len()
            })
            .collect();
        // Tables 1, 2: 3 pl × 3 lsdim × (1 + 4 α); table 3: 2 models × 3 pl × 2 lsdim × 3 α;
        // table 4: 4 γ × 3 lsdim.
        // ours-mnist: DML-AE at 6 (two α) and 60 labels, MetricVAE and the two priors at 60,
        // DML with the conv encoder at 10 %.
        assert_eq!(sizes, vec![45, 45, 36, 12, 7]);
        let t2 = Grid::named("paper-table2")
            .unwrap()
            .expand(&Map::new())
            .unwrap();
        assert!(t2
            .iter()
            .all(|r| r.config.dataset == crate::config::DatasetKind::Organamnist));
        let t4 = Grid::named("paper-table4")
            .unwrap()
            .expand(&Map::new())
            .unwrap();
        assert!(t4.iter().all(|r| r.config.model == ModelKind::MetricVae
            && r.config.schedule == Schedule::JointGamma
            && r.config.pl == 100.0));
        assert_eq!(t4[0].name, "gamma-0_lsdim-2");
        assert!(Grid::named("paper-table9").is_none());
    }

    /// A later change of a default must not change the paper's tables: each paper grid names
    /// every field but the seed and the backend, in its base or in every group's axes.
    #[test]
    fn paper_grids_pin_every_field_of_their_setup() {
        for name in [
            "paper-table1",
            "paper-table2",
            "paper-table3",
            "paper-table4",
        ] {
            let grid = Grid::named(name).unwrap();
            for f in crate::config::FIELDS {
                if ["seed", "backend"].contains(&f.name) {
                    continue;
                }
                let pinned = grid.base.contains_key(f.name)
                    || grid.groups.iter().all(|g| g.contains_key(f.name));
                assert!(pinned, "{name} leaves {} to the defaults", f.name);
            }
            let runs = grid.expand(&Map::new()).unwrap();
            assert!(runs
                .iter()
                .all(|r| r.config.loss_scale == crate::config::LossScale::Paper));
        }
    }

    #[test]
    fn extra_fields_apply_to_every_run_and_bad_grids_say_why() {
        let grid = Grid::from_json(
            r#"{"name": "tiny", "base": {"epochs": 2}, "groups": [{"model": ["dml", "dml-ae"], "seed": [0, 1]}]}"#,
        )
        .unwrap();
        let mut extra = Map::new();
        extra.insert("steps_per_epoch".into(), json!(5));
        let runs = grid.expand(&extra).unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "model-dml_seed-0",
                "model-dml_seed-1",
                "model-dml-ae_seed-0",
                "model-dml-ae_seed-1"
            ]
        );
        assert!(runs
            .iter()
            .all(|r| r.config.epochs == 2 && r.config.steps_per_epoch == 5));
        // A field the grid varies takes the extra value in every run, and the names say so.
        extra.insert("seed".into(), json!(7));
        let runs = grid.expand(&extra).unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["model-dml_seed-7", "model-dml-ae_seed-7"]);
        assert!(runs.iter().all(|r| r.config.seed == 7));

        let err = Grid::from_json(r#"{"name": "x", "groups": [{"model": ["resnet"]}]}"#)
            .unwrap()
            .expand(&Map::new())
            .unwrap_err();
        assert!(err.contains("resnet"), "{err}");
        let err = Grid::from_json(r#"{"name": "x", "groups": [{"lsdim": [0]}]}"#)
            .unwrap()
            .expand(&Map::new())
            .unwrap_err();
        assert!(err.contains("lsdim"), "{err}");
        assert!(
            Grid::from_json(r#"{"name": "x", "groups": [{"wings": [1]}]}"#)
                .unwrap()
                .expand(&Map::new())
                .unwrap_err()
                .contains("wings")
        );
        assert!(Grid::from_json("{").is_err());
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_grid() {
        let runs = Grid::named("paper-table1")
            .unwrap()
            .expand(&Map::new())
            .unwrap();
        let all: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
        let mut seen: Vec<String> = (1..=4)
            .flat_map(|i| shard(runs.clone(), (i, 4)).into_iter().map(|r| r.name))
            .collect();
        seen.sort();
        let mut want = all.clone();
        want.sort();
        assert_eq!(seen, want);
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    /// The page's sweep read axis values as numbers or strings whatever the field: `augment =
    /// true, false` became the strings "true" and "false" and the sweep failed, and floats could
    /// come back one ulp off (the link bug fixed in 765e374). Axis values now go through the
    /// field's own parser.
    #[test]
    fn axis_values_are_read_by_their_field() {
        let runs = plan_axes(
            "augment = true, false; lr = 7.770000000000002e-75",
            &ExperimentConfig::default(),
        )
        .unwrap();
        let augment: Vec<bool> = runs.iter().map(|(_, c)| c.augment).collect();
        assert_eq!(augment, [true, false]);
        assert!(runs
            .iter()
            .all(|(_, c)| c.lr.to_bits() == 7.770000000000002e-75f64.to_bits()));
        assert_eq!(runs[0].0, "augment-true_lr-7.770000000000002e-75");
        let bad = plan_axes("model = resnet", &ExperimentConfig::default()).unwrap_err();
        assert!(
            bad.starts_with("model = resnet: expected one of dml"),
            "{bad}"
        );
    }

    #[test]
    fn axes_expand_over_the_form_config() {
        let base = ExperimentConfig::default();
        let runs = plan_axes("pl = 0.1, 10; lsdim = 2, 4; model = dml-ae", &base).unwrap();
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[0].0, "lsdim-2_model-dml-ae_pl-0.1");
        assert_eq!(runs[3].1.lsdim, 4);
        assert_eq!(runs[3].1.pl, 10.0);
        assert_eq!(runs[3].1.seed, base.seed);
    }

    #[test]
    fn bad_axes_say_what_is_wrong() {
        let base = ExperimentConfig::default();
        let err = |axes: &str| plan_axes(axes, &base).unwrap_err();
        assert!(err("").contains("no axes"));
        assert!(err("pl 0.1").contains("field = value"));
        assert!(err("pl =").contains("pl: no values"));
        assert!(err("pl = 1; pl = 2").contains("twice"));
        assert!(err("colour = red").contains("colour"));
        assert!(err("lsdim = 0").contains("lsdim"));
        assert!(err("pl = 1,2,3,4,5,6,7,8; seed = 1,2,3,4,5,6,7,8").contains("at most 60"));
    }
}
