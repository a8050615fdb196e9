//! The one description of the experiment's fields: name, label, explanation, kind of value,
//! which models use it and its rule. Links, sweeps, reports, the form and the CLI all read
//! fields, print values and parse text through here.

use serde_json::{Map, Value};

use super::choices::{
    BackendChoice, Choice, ChoiceOption, DatasetKind, DistanceKind, EncoderKind, LossScale,
    MetricLossKind, Miner, ModelKind, ReconLoss, Schedule,
};
use super::ExperimentConfig;

/// What values a field takes.
#[derive(Clone, Copy)]
pub enum FieldKind {
    /// One of a few names.
    Choice(fn() -> Vec<ChoiceOption>),
    /// A whole number.
    Integer,
    /// A real number.
    Real,
    /// On or off.
    Flag,
}

/// One config field.
pub struct Field {
    /// The name in JSON, links, sweeps and reports; `--name-with-dashes` as a CLI flag.
    pub name: &'static str,
    /// A short label (the form).
    pub label: &'static str,
    /// A sentence or two for newcomers (the form's explanation, `--help`).
    pub help: &'static str,
    pub kind: FieldKind,
    /// Shown under "More settings" in the form.
    pub advanced: bool,
    /// Whether the field changes what `model` trains (e.g. α means nothing to plain DML).
    pub used_by: fn(ModelKind) -> bool,
    /// The field's rule; the first field whose rule fails names the config's error.
    pub check: fn(&ExperimentConfig) -> Result<(), String>,
}

fn always(_: ModelKind) -> bool {
    true
}
fn fine(_: &ExperimentConfig) -> Result<(), String> {
    Ok(())
}
fn metric(m: ModelKind) -> bool {
    m.has_metric_loss()
}
fn both(m: ModelKind) -> bool {
    m.has_both_losses()
}
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}
fn within(value: usize, lo: usize, hi: usize) -> Result<(), String> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!("must be in {lo}..={hi}, got {value}"))
    }
}
fn positive_number(x: f64) -> Result<(), String> {
    if positive(x) {
        Ok(())
    } else {
        Err(format!("must be a positive number, got {x}"))
    }
}

/// Every field, in the order of the struct (and of `validate`'s checks).
pub static FIELDS: &[Field] = &[
    Field {
        name: "dataset",
        label: "dataset",
        help: "Which images to learn from.",
        kind: FieldKind::Choice(DatasetKind::options),
        advanced: false,
        used_by: always,
        check: fine,
    },
    Field {
        name: "model",
        label: "model",
        help: "Which of the paper's models (or baselines) to train.",
        kind: FieldKind::Choice(ModelKind::options),
        advanced: false,
        used_by: always,
        check: fine,
    },
    Field {
        name: "pl",
        label: "labelled %",
        help: "Percentage of the training images that keep their label, in (0, 100]; only these reach the metric loss (0.01 % of MNIST is 6 images).",
        kind: FieldKind::Real,
        advanced: false,
        used_by: always,
        check: |c| {
            if c.pl > 0.0 && c.pl <= 100.0 {
                Ok(())
            } else {
                Err(format!("must be in (0, 100], got {}", c.pl))
            }
        },
    },
    Field {
        name: "balanced_labels",
        label: "balanced labels",
        help: "Draw the labelled images class-balanced (e.g. 10 per class for 100 MNIST labels, as the semi-supervised literature does) instead of uniformly, as the paper does (6 uniform labels leave at least four classes without one).",
        kind: FieldKind::Flag,
        advanced: true,
        used_by: always,
        check: fine,
    },
    Field {
        name: "lsdim",
        label: "latent dim",
        help: "Dimension d of the embedding (latent) space.",
        kind: FieldKind::Integer,
        advanced: false,
        used_by: always,
        check: |c| within(c.lsdim, 1, ExperimentConfig::MAX_LSDIM),
    },
    Field {
        name: "epochs",
        label: "epochs",
        help: "Training epochs; an epoch is one pass over all training images in batches.",
        kind: FieldKind::Integer,
        advanced: false,
        used_by: always,
        check: |c| within(c.epochs, 1, ExperimentConfig::MAX_EPOCHS),
    },
    Field {
        name: "seed",
        label: "seed",
        help: "Seed of every random choice: initial weights, labelled images, batches, noise, probe folds. The same seed gives the same numbers.",
        kind: FieldKind::Integer,
        advanced: false,
        used_by: always,
        check: fine,
    },
    Field {
        name: "batch_size",
        label: "batch size",
        help: "Images per batch (the labelled and the unlabelled batch each; the labelled one is capped by the number of labelled images).",
        kind: FieldKind::Integer,
        advanced: true,
        used_by: always,
        check: |c| within(c.batch_size, 2, ExperimentConfig::MAX_BATCH),
    },
    Field {
        name: "lr",
        label: "learning rate",
        help: "Adam's learning rate.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: always,
        check: |c| {
            if positive(c.lr) && c.lr < 10.0 {
                Ok(())
            } else {
                Err(format!("must be a positive number below 10, got {}", c.lr))
            }
        },
    },
    Field {
        name: "steps_per_epoch",
        label: "steps / epoch (0 = full pass)",
        help: "Optimiser steps per epoch; 0 means one full pass over the training images.",
        kind: FieldKind::Integer,
        advanced: false,
        used_by: always,
        check: |c| {
            if c.steps_per_epoch <= 1_000_000 {
                Ok(())
            } else {
                Err(format!(
                    "must be at most 1000000 (0 = a full pass), got {}",
                    c.steps_per_epoch
                ))
            }
        },
    },
    Field {
        name: "backend",
        label: "backend",
        help: "Where the tensors live.",
        kind: FieldKind::Choice(BackendChoice::options),
        advanced: false,
        used_by: always,
        check: fine,
    },
    Field {
        name: "loss",
        label: "metric loss",
        help: "The supervised metric loss L_S on the labelled images.",
        kind: FieldKind::Choice(MetricLossKind::options),
        advanced: false,
        used_by: metric,
        check: fine,
    },
    Field {
        name: "miner",
        label: "triplet miner",
        help: "Which triplets of a batch the triplet loss uses.",
        kind: FieldKind::Choice(Miner::options),
        advanced: true,
        used_by: metric,
        check: fine,
    },
    Field {
        name: "margin",
        label: "margin",
        help: "Triplet margin: how much closer a positive must be than a negative; for the center loss, the least distance between centres.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: metric,
        check: |c| positive_number(c.margin),
    },
    Field {
        name: "temperature",
        label: "contrastive temperature",
        help: "Temperature of the contrastive losses (the supervised SupCon and the unlabelled contrast term): lower is sharper.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: metric,
        check: |c| positive_number(c.temperature),
    },
    Field {
        name: "distance",
        label: "distance",
        help: "Distance between embeddings for the triplet and center losses.",
        kind: FieldKind::Choice(DistanceKind::options),
        advanced: true,
        used_by: metric,
        check: fine,
    },
    Field {
        name: "normalize",
        label: "L2-normalise embeddings",
        help: "Put embeddings on the unit sphere before the triplet or center loss.",
        kind: FieldKind::Flag,
        advanced: true,
        used_by: metric,
        check: fine,
    },
    Field {
        name: "m_per_class",
        label: "labelled images per class per batch (0 = random)",
        help: "Class-balanced labelled batches: this many images of each class; 0 means a plain random batch.",
        kind: FieldKind::Integer,
        advanced: true,
        used_by: metric,
        check: |c| {
            if c.m_per_class == 1 || c.m_per_class > c.batch_size {
                Err(format!(
                    "must be 0 (random batches) or in 2..=batch_size ({}), got {}",
                    c.batch_size, c.m_per_class
                ))
            } else {
                Ok(())
            }
        },
    },
    Field {
        name: "augment",
        label: "augment labelled images",
        help: "Randomly rotate, scale and shift the labelled images of each batch.",
        kind: FieldKind::Flag,
        advanced: true,
        used_by: metric,
        check: fine,
    },
    Field {
        name: "contrast",
        label: "unlabelled contrast weight (0 = off)",
        help: "Weight of a contrastive term on the unlabelled images (NT-Xent, as in SimCLR): two randomly rotated, scaled and shifted views of each image of the unlabelled batch are pulled together and pushed away from the other images' views, at the contrastive temperature. No label is used; 0 = off.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: |_| true,
        check: |c| {
            if c.contrast.is_finite() && (0.0..=100.0).contains(&c.contrast) {
                Ok(())
            } else {
                Err(format!("must be a weight in [0, 100] (0 = off), got {}", c.contrast))
            }
        },
    },
    Field {
        name: "neighbours",
        label: "neighbour term weight (0 = off)",
        help: "Weight of a term on the unlabelled images: at the start of the run every training image's 15 nearest training images in pixel space are found (on 32 principal axes); each step, each image of a batch is drawn toward one of them, relative to how far apart the batch's images lie, so the embedding keeps what looks alike together. No label is used; 0 = off.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: |_| true,
        check: |c| {
            if c.neighbours.is_finite() && (0.0..=100.0).contains(&c.neighbours) {
                Ok(())
            } else {
                Err(format!("must be a weight in [0, 100] (0 = off), got {}", c.neighbours))
            }
        },
    },
    Field {
        name: "pseudo_labels",
        label: "pseudo-labelled share (0 = off)",
        help: "Self-training: from the second epoch on, each epoch starts by embedding every training image; an unlabelled image takes the class of the nearest class prototype (the mean embedding of that class's labelled images), and this share of each predicted class, the most confident first, joins the labelled images for the metric loss until the next epoch. Only the labelled images' labels are read; 0 = off.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: metric,
        check: |c| {
            if c.pseudo_labels.is_finite() && (0.0..=1.0).contains(&c.pseudo_labels) {
                Ok(())
            } else {
                Err(format!("must be a share in [0, 1] (0 = off), got {}", c.pseudo_labels))
            }
        },
    },
    Field {
        name: "alpha",
        label: "alpha (weight of L_U)",
        help: "α in [0, 1]: the weight of the unsupervised loss L_U against the metric loss L_S, (1−α)·L_S + α·L_U (schedules alternating and joint; the paper's Tables 1 and 3 vary it).",
        kind: FieldKind::Real,
        advanced: false,
        used_by: both,
        check: |c| {
            if c.alpha.is_finite() && (0.0..=1.0).contains(&c.alpha) {
                Ok(())
            } else {
                Err(format!("must be in [0, 1], got {}", c.alpha))
            }
        },
    },
    Field {
        name: "gamma",
        label: "gamma (weight of L_S, joint-gamma)",
        help: "γ ≥ 0: the weight of the metric loss in L = L_U + γ·L_S (schedule joint-gamma; the thesis' Table 4 varies it).",
        kind: FieldKind::Real,
        advanced: true,
        used_by: both,
        check: |c| {
            if c.gamma.is_finite() && c.gamma >= 0.0 {
                Ok(())
            } else {
                Err(format!("must be a number >= 0, got {}", c.gamma))
            }
        },
    },
    Field {
        name: "schedule",
        label: "schedule",
        help: "How L_S and L_U are combined over the epochs.",
        kind: FieldKind::Choice(Schedule::options),
        advanced: false,
        used_by: both,
        check: fine,
    },
    Field {
        name: "encoder",
        label: "encoder",
        help: "Encoder architecture (decoders mirror it).",
        kind: FieldKind::Choice(EncoderKind::options),
        advanced: true,
        used_by: always,
        check: fine,
    },
    Field {
        name: "recon",
        label: "reconstruction loss",
        help: "How a reconstruction is scored.",
        kind: FieldKind::Choice(ReconLoss::options),
        advanced: true,
        used_by: |m| m.has_decoder(),
        check: fine,
    },
    Field {
        name: "loss_scale",
        label: "loss scale",
        help: "How the reconstruction and the KL are scaled in L_U: per pixel (both / D, the balanced ELBO) or as the paper's code did (KL summed over the latent dimensions: D times heavier). docs/models.md gives the formula.",
        kind: FieldKind::Choice(LossScale::options),
        advanced: true,
        used_by: |m| m.is_variational(),
        check: fine,
    },
    Field {
        name: "kl_warmup",
        label: "KL warm-up (epochs, 0 = off)",
        help: "Raise the KL's weight β linearly from 0 to 1 over this many epochs, so the encoder learns to use its latent space before the prior pulls on it (a fix for posterior collapse).",
        kind: FieldKind::Real,
        advanced: true,
        used_by: |m| m.is_variational(),
        check: |c| {
            if c.kl_warmup.is_finite() && c.kl_warmup >= 0.0 && c.kl_warmup <= ExperimentConfig::MAX_EPOCHS as f64 {
                Ok(())
            } else {
                Err(format!("must be a number of epochs in [0, {}] (0 = off), got {}", ExperimentConfig::MAX_EPOCHS, c.kl_warmup))
            }
        },
    },
    Field {
        name: "free_bits",
        label: "free bits (nats per dim, 0 = off)",
        help: "A floor under the KL, in nats per latent dimension: below it the KL costs nothing, so the encoder may keep that much information per dimension (per dimension for the unit prior, on the total for the mixture priors; a fix for posterior collapse).",
        kind: FieldKind::Real,
        advanced: true,
        used_by: |m| m.is_variational(),
        check: |c| {
            if c.free_bits.is_finite() && (0.0..=100.0).contains(&c.free_bits) {
                Ok(())
            } else {
                Err(format!("must be a number of nats in [0, 100] (0 = off), got {}", c.free_bits))
            }
        },
    },
    Field {
        name: "prior_components",
        label: "GMM components (0 = 2^d vertices)",
        help: "Components of the GMM prior: 0 = the paper's 2^d vertices of the hypercube, K > 0 = K components spread as far apart as possible.",
        kind: FieldKind::Integer,
        advanced: true,
        used_by: |m| m == ModelKind::DmlGmmPrior,
        check: |c| {
            if c.model != ModelKind::DmlGmmPrior {
                return Ok(());
            }
            if c.prior_components == 0 && c.lsdim > ExperimentConfig::MAX_HYPERCUBE_LSDIM {
                return Err(format!(
                    "gmm-prior with 2^d components needs lsdim <= {}, got lsdim {}; set prior_components to K > 0",
                    ExperimentConfig::MAX_HYPERCUBE_LSDIM,
                    c.lsdim
                ));
            }
            if c.prior_components > ExperimentConfig::MAX_COMPONENTS {
                return Err(format!(
                    "must be at most {}, got {}",
                    ExperimentConfig::MAX_COMPONENTS,
                    c.prior_components
                ));
            }
            Ok(())
        },
    },
    Field {
        name: "vamp_components",
        label: "VampPrior pseudo-inputs",
        help: "Pseudo-inputs (learned images) whose encodings make up the VampPrior.",
        kind: FieldKind::Integer,
        advanced: true,
        used_by: |m| m.has_vamp_prior(),
        check: |c| within(c.vamp_components, 1, ExperimentConfig::MAX_COMPONENTS),
    },
    Field {
        name: "grad_clip",
        label: "gradient clip (0 = off)",
        help: "Clip each parameter's gradient to this L2 norm before the Adam step; 0 = no clipping.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: always,
        check: |c| {
            if c.grad_clip.is_finite() && c.grad_clip >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "must be a number >= 0 (0 = no clipping), got {}",
                    c.grad_clip
                ))
            }
        },
    },
    Field {
        name: "ema",
        label: "weight average (EMA decay, 0 = off)",
        help: "Keep an exponential moving average of the parameters, updated after every step with this decay (0.999: about the last 1000 steps), and measure and evaluate it instead of the last step's parameters: a mean teacher, smoother than any single step. 0 = off.",
        kind: FieldKind::Real,
        advanced: true,
        used_by: always,
        check: |c| {
            if c.ema.is_finite() && (0.0..1.0).contains(&c.ema) {
                Ok(())
            } else {
                Err(format!("must be a decay in [0, 1) (0 = off), got {}", c.ema))
            }
        },
    },
];

/// The field called `name`.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// A value as text: names without quotes, flags as `true`/`false`, numbers in the shortest
/// text that reads back to the same value (`20`, not `20.0`; `7.770000000000002e-75`).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let text = n.to_string();
            match text.strip_suffix(".0") {
                Some(whole) if n.is_f64() => whole.to_string(),
                _ => text,
            }
        }
        other => other.to_string(),
    }
}

/// Text (a link parameter, a sweep value, a CLI flag) as the JSON value `field` takes: a name,
/// a whole number, a correctly rounded real number, or a flag (`true`/`false`, `on`/`off`,
/// `1`/`0`). Out-of-range values parse; `validate` judges them.
pub fn parse_value(field: &Field, text: &str) -> Result<Value, String> {
    let t = text.trim();
    match field.kind {
        FieldKind::Choice(options) => {
            let options = options();
            if options.iter().any(|o| o.name == t) {
                Ok(Value::String(t.to_string()))
            } else {
                let names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
                Err(format!("expected one of {}", names.join(", ")))
            }
        }
        FieldKind::Integer => t
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| "expected a whole number".to_string()),
        // Rust's parser rounds correctly: serde_json's default one can be one ulp off, so a
        // link did not always give back the exact value it was made from (found by the fuzzer:
        // lr=7.770000000000002e-75 came back as 7.770000000000001e-75).
        FieldKind::Real => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "expected a finite number".to_string()),
        FieldKind::Flag => match t {
            "true" | "on" | "1" | "yes" => Ok(Value::Bool(true)),
            "false" | "off" | "0" | "no" => Ok(Value::Bool(false)),
            _ => Err("expected true or false".to_string()),
        },
    }
}

impl ExperimentConfig {
    /// Every field as its JSON value.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("ExperimentConfig serializes to an object"),
        }
    }

    /// The config with `name` set to `value` (not validated).
    pub fn with_value(&self, name: &str, value: Value) -> Result<Self, String> {
        if field(name).is_none() {
            return Err(format!("unknown field {name:?}"));
        }
        let mut map = self.to_map();
        map.insert(name.to_string(), value);
        serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
    }

    /// The config with `name` set from `text` (not validated).
    pub fn with_text(&self, name: &str, text: &str) -> Result<Self, String> {
        let f = field(name).ok_or_else(|| format!("unknown field {name:?}"))?;
        self.with_value(name, parse_value(f, text)?)
    }

    /// `name`'s value as text.
    pub fn value_of(&self, name: &str) -> Option<String> {
        self.to_map().get(name).map(value_text)
    }

    /// The fields whose value differs from `base`'s, as (name, text), in field order.
    pub fn differences(&self, base: &ExperimentConfig) -> Vec<(&'static str, String)> {
        let (mine, theirs) = (self.to_map(), base.to_map());
        FIELDS
            .iter()
            .filter(|f| mine.get(f.name) != theirs.get(f.name))
            .filter_map(|f| mine.get(f.name).map(|v| (f.name, value_text(v))))
            .collect()
    }

    /// The fields `self.model` uses, as (name, text), in field order.
    pub fn used_fields(&self) -> Vec<(&'static str, String)> {
        let map = self.to_map();
        FIELDS
            .iter()
            .filter(|f| (f.used_by)(self.model))
            .filter_map(|f| map.get(f.name).map(|v| (f.name, value_text(v))))
            .collect()
    }
}
