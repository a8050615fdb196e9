//! Shareable links: an experiment config as a URL query string and back.
//!
//! Only the fields that differ from the base config (the page's defaults) are written (`?model=dml-ae&pl=0.1`), so links
//! stay short and keep working when new fields appear. Reading is forgiving: a malformed,
//! out-of-range or unknown parameter falls back to its default and yields a notice for the page
//! to show; nothing in a query string can fail the page.
//!
//! The defaults change, so links say which defaults they leave out: a `v=N` link states the
//! differences from the model's defaults of version N
//! ([`ExperimentConfig::recommended_in`]; every link made now has the current
//! [`ExperimentConfig::DEFAULTS_VERSION`]); a link without `v` was made when one plain config
//! ([`Default`], version 1) was every model's default, and is read against that.

use crate::config::{field, parse_name, ExperimentConfig, ModelKind};

/// The query parameter with the link format's version.
pub const VERSION: &str = "v";
/// The version links are written in: the fields that differ from the model's current defaults.
pub const CURRENT_VERSION: u32 = ExperimentConfig::DEFAULTS_VERSION;

/// The query parameter that starts the run as soon as the page opens (`run=1`).
pub const AUTOSTART: &str = "run";
/// The query parameter with the URL of a data file to load before the run.
pub const DATA_URL: &str = "data_url";
/// Query parameters the page reads for other purposes (benchmark mode, data URL).
pub const PAGE_PARAMS: [&str; 4] = ["bench", "bench_steps", DATA_URL, VERSION];
/// Longer query strings are refused whole (a link holds ~30 short fields).
pub const MAX_QUERY: usize = 8192;

/// What a benchmark page does (`?bench=cpu|webgpu|agreement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchMode {
    /// Time every model family on the CPU (wasm, the lab's CPU backend).
    Cpu,
    /// The same on burn-ndarray, the previous CPU backend (for the comparison in docs/bench.md).
    CpuNdarray,
    /// Time every model family on WebGPU.
    Webgpu,
    /// Compare the CPU's and WebGPU's loss terms step by step.
    Agreement,
}

/// Timed steps per model when the link does not say (`bench_steps`).
pub const BENCH_STEPS: usize = 20;

/// The benchmark a query string asks for: `None` when it asks for none; an error (for the page
/// to show) when `bench` or `bench_steps` cannot be read, instead of a silently ignored page.
pub fn bench_request(query: &str) -> Option<Result<(BenchMode, usize), String>> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut mode = None;
    let mut steps = Ok(BENCH_STEPS);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "bench" => {
                mode = Some(match value.as_ref() {
                    "cpu" => Ok(BenchMode::Cpu),
                    "cpu-ndarray" => Ok(BenchMode::CpuNdarray),
                    "webgpu" => Ok(BenchMode::Webgpu),
                    "agreement" => Ok(BenchMode::Agreement),
                    other => Err(format!(
                        "bench={:?}: expected cpu, cpu-ndarray, webgpu or agreement",
                        clip(other)
                    )),
                })
            }
            "bench_steps" => {
                steps = value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "bench_steps={:?}: expected a whole number in 1..=1000",
                            clip(&value)
                        )
                    })
            }
            _ => {}
        }
    }
    Some(mode?.and_then(|m| steps.map(|s| (m, s))))
}

/// A config restored from a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub config: ExperimentConfig,
    /// The link asks to start the run at once.
    pub autostart: bool,
    /// The `data_url` parameter: an npz to load before the run.
    pub data_url: Option<String>,
    /// One line per parameter that was ignored or replaced by its default.
    pub notices: Vec<String>,
    /// Set when the link was read against older defaults than today's and today's would
    /// change the experiment (the page says so and offers today's).
    pub older_defaults: Option<OlderDefaults>,
}

/// A link read against an older version of the defaults, and what today's would change.
#[derive(Debug, Clone, PartialEq)]
pub struct OlderDefaults {
    /// The version of the defaults the link restores (1 for a link without `v`).
    pub version: u32,
    /// The same link read against today's defaults.
    pub today: ExperimentConfig,
    /// What today's defaults change, as `field=value` with today's values.
    pub changes: Vec<String>,
}

/// The query string (without `?`) for a config: the fields that differ from `base`;
/// `autostart` adds `run=1`.
pub fn to_query(config: &ExperimentConfig, base: &ExperimentConfig, autostart: bool) -> String {
    to_query_with_data(config, base, None, autostart)
}

/// [`to_query`], plus the URL of the data file the page should load first (`data_url=`).
pub fn to_query_with_data(
    config: &ExperimentConfig,
    base: &ExperimentConfig,
    data_url: Option<&str>,
    autostart: bool,
) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, text) in config.differences(base) {
        out.append_pair(key, &text);
    }
    if let Some(url) = data_url {
        out.append_pair(DATA_URL, url);
    }
    if autostart {
        out.append_pair(AUTOSTART, "1");
    }
    out.finish()
}

/// Reads a config from a query string (with or without the leading `?`); fields it does not
/// set, or sets badly, keep their value in `base` (which must be valid).
pub fn from_query(query: &str, base: &ExperimentConfig) -> Restored {
    let mut notices = Vec::new();
    let mut config = base.clone();
    let mut autostart = false;
    let mut data_url = None;
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY {
        notices.push(format!(
            "the link's parameters are {} characters long (at most {MAX_QUERY}); ignored, using the defaults",
            query.len()
        ));
        return Restored {
            config,
            autostart,
            data_url,
            notices,
            older_defaults: None,
        };
    }
    let default_text = |key: &str| base.value_of(key).unwrap_or_default();
    for (key, text) in form_urlencoded::parse(query.as_bytes()) {
        let key = key.as_ref();
        if key == AUTOSTART {
            autostart = matches!(text.as_ref(), "1" | "true" | "yes");
            continue;
        }
        if key == DATA_URL {
            data_url = Some(text.into_owned()).filter(|u| !u.trim().is_empty());
            continue;
        }
        if PAGE_PARAMS.contains(&key) {
            continue;
        }
        if field(key).is_none() {
            notices.push(format!("unknown parameter {:?} ignored", clip(key)));
            continue;
        }
        let parsed = config
            .with_text(key, &text)
            .and_then(|c| single_field_ok(&c, key).map(|()| c));
        match parsed {
            Ok(c) => config = c,
            Err(why) => notices.push(format!(
                "{key}={:?} is not valid ({}); using the default {}",
                clip(&text),
                clip(&why),
                default_text(key)
            )),
        }
    }
    // Fields valid alone may still clash (e.g. m_per_class above batch_size): reset the one
    // validation names until the config is valid.
    let defaults = base.to_map();
    while let Err(e) = config.validate() {
        notices.push(format!("{e}; using the default {}", default_text(e.field)));
        config = match config.with_value(e.field, defaults[e.field].clone()) {
            Ok(c) if c != config => c,
            // Only when `base` itself is invalid: give up on the link.
            _ => base.clone(),
        };
        if config == *base {
            break;
        }
    }
    Restored {
        config,
        autostart,
        data_url,
        notices,
        older_defaults: None,
    }
}

/// What a page fills in for the fields a link leaves out.
pub struct LinkDefaults<'a> {
    /// The defaults of a model in a version of the defaults (1: the one plain config every
    /// model started from before the defaults became per model, links without `v`;
    /// [`CURRENT_VERSION`]: the page without a link).
    pub of_version: &'a dyn Fn(u32, ModelKind) -> ExperimentConfig,
}

/// The link of `config` in the current format: `v=` [`CURRENT_VERSION`], the fields that
/// differ from its model's current defaults, then `data_url` and `run=1` (see
/// [`to_query_with_data`]).
pub fn share_query(
    config: &ExperimentConfig,
    defaults: &LinkDefaults,
    data_url: Option<&str>,
    autostart: bool,
) -> String {
    // The model's defaults, but the model itself is written unless it is the default one.
    let base = ExperimentConfig {
        model: default_model(),
        ..(defaults.of_version)(CURRENT_VERSION, config.model)
    };
    let rest = to_query_with_data(config, &base, data_url, autostart);
    let version = format!("{VERSION}={CURRENT_VERSION}");
    if rest.is_empty() {
        version
    } else {
        format!("{version}&{rest}")
    }
}

/// The model of a link that names none.
fn default_model() -> ModelKind {
    ExperimentConfig::default().model
}

/// Reads a link made by [`share_query`] in this or an earlier version (or before `v` existed:
/// against version 1); an empty query gives the model's current defaults. An unknown version
/// is read as the current one, with a notice.
pub fn restore(query: &str, defaults: &LinkDefaults) -> Restored {
    let bare = query.strip_prefix('?').unwrap_or(query);
    let current = |model| (defaults.of_version)(CURRENT_VERSION, model);
    if bare.len() > MAX_QUERY {
        return from_query(bare, &current(default_model()));
    }
    let (mut version, mut model) = (None, None);
    for (key, value) in form_urlencoded::parse(bare.as_bytes()) {
        match key.as_ref() {
            VERSION => version = Some(value.into_owned()),
            // As `from_query` reads it: the last valid one counts.
            "model" => model = parse_name::<ModelKind>(&value).ok().or(model),
            _ => {}
        }
    }
    let model = model.unwrap_or_else(default_model);
    let mut notice = None;
    let read_as = match version.as_deref() {
        None if !bare.is_empty() => 1,
        None => CURRENT_VERSION,
        Some(text) => match text.parse::<u32>() {
            Ok(v) if (1..=CURRENT_VERSION).contains(&v) => v,
            _ => {
                notice = Some(format!(
                    "link version {VERSION}={:?} is unknown (this page writes {CURRENT_VERSION}); read as {CURRENT_VERSION}",
                    clip(text)
                ));
                CURRENT_VERSION
            }
        },
    };
    let mut restored = from_query(bare, &(defaults.of_version)(read_as, model));
    restored.notices.splice(0..0, notice);
    if read_as < CURRENT_VERSION {
        let today = from_query(bare, &current(model)).config;
        let changes: Vec<String> =
            form_urlencoded::parse(to_query(&today, &restored.config, false).as_bytes())
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
        restored.older_defaults = (!changes.is_empty()).then_some(OlderDefaults {
            version: read_as,
            today,
            changes,
        });
    }
    restored
}

/// Checks the rules that concern `field` alone: the whole config is validated, and an error
/// about another field (one the link has not reached yet) does not count.
fn single_field_ok(config: &ExperimentConfig, field: &str) -> Result<(), String> {
    match config.validate() {
        Err(e) if e.field == field => Err(e.message),
        _ => Ok(()),
    }
}

/// At most 60 characters of untrusted text, for messages.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatasetKind, ModelKind};

    #[test]
    fn floats_come_back_exactly() {
        let base = ExperimentConfig::default();
        for lr in [7.770000000000002e-75, 0.1 + 0.2, 1e-300, 3.0000000000000004] {
            let cfg = ExperimentConfig { lr, ..base.clone() };
            let back = from_query(&to_query(&cfg, &base, false), &base);
            assert_eq!(back.config.lr.to_bits(), lr.to_bits(), "{lr:e}");
            assert!(back.notices.is_empty());
        }
    }

    #[test]
    fn a_config_survives_the_round_trip() {
        let cfg = ExperimentConfig {
            dataset: DatasetKind::Organamnist,
            model: ModelKind::MetricVae,
            pl: 0.1,
            lsdim: 4,
            normalize: true,
            ..Default::default()
        };
        let q = to_query(&cfg, &ExperimentConfig::default(), true);
        let mut parts: Vec<&str> = q.split('&').collect();
        parts.sort();
        assert_eq!(
            parts,
            [
                "dataset=organamnist",
                "lsdim=4",
                "model=metric-vae",
                "normalize=true",
                "pl=0.1",
                "run=1"
            ]
        );
        let r = from_query(&format!("?{q}"), &ExperimentConfig::default());
        assert_eq!(
            r,
            Restored {
                config: cfg,
                autostart: true,
                data_url: None,
                notices: vec![],
                older_defaults: None,
            }
        );
        assert_eq!(
            to_query(
                &ExperimentConfig::default(),
                &ExperimentConfig::default(),
                false
            ),
            ""
        );
    }

    #[test]
    fn bad_parameters_fall_back_with_a_notice() {
        let r = from_query(
            "pl=abc&lsdim=0&model=resnet&foo=1&epochs=2&bench=cpu&seed=-3",
            &ExperimentConfig::default(),
        );
        let d = ExperimentConfig::default();
        assert_eq!(
            (r.config.pl, r.config.lsdim, r.config.model),
            (d.pl, d.lsdim, d.model)
        );
        assert_eq!(
            (r.config.epochs, r.config.seed, r.autostart),
            (2, d.seed, false)
        );
        let text = r.notices.join("\n");
        assert_eq!(r.notices.len(), 5, "{text}");
        assert!(text.contains("pl=\"abc\" is not valid"), "{text}");
        assert!(
            text.contains(
                "lsdim=\"0\" is not valid (must be in 1..=512, got 0); using the default 10"
            ),
            "{text}"
        );
        assert!(
            text.contains("model=\"resnet\" is not valid (expected one of dml, dml-ae"),
            "{text}"
        );
        assert!(text.contains("unknown parameter \"foo\" ignored"), "{text}");
        assert!(text.contains("seed=\"-3\""), "{text}");
    }

    #[test]
    fn the_data_url_is_read_from_the_link() {
        let r = from_query(
            "dataset=organamnist&data_url=https%3A%2F%2Fx.org%2Fo.npz&run=1",
            &ExperimentConfig::default(),
        );
        assert_eq!(r.data_url.as_deref(), Some("https://x.org/o.npz"));
        assert!(r.notices.is_empty() && r.autostart);
    }

    #[test]
    fn clashing_fields_are_reset_until_valid() {
        let r = from_query("m_per_class=300", &ExperimentConfig::default());
        assert_eq!(r.config.m_per_class, 0, "{:?}", r.notices);
        let r = from_query("model=dml-gmm-prior&lsdim=20", &ExperimentConfig::default());
        assert!(r.config.validate().is_ok());
        assert_eq!(r.notices.len(), 1, "{:?}", r.notices);
    }

    #[test]
    fn hostile_queries_never_panic() {
        let long = "a".repeat(MAX_QUERY + 1);
        assert!(from_query(&long, &ExperimentConfig::default()).notices[0]
            .contains("ignored, using the defaults"));
        for q in [
            "%",
            "%%%",
            "=&=&",
            "pl=%FF%FE",
            "pl=1e309",
            "pl=NaN",
            "lsdim=99999999999999999999999",
            "model=%00",
            "&&&run=1",
            "pl=<script>",
        ] {
            let r = from_query(q, &ExperimentConfig::default());
            assert!(r.config.validate().is_ok(), "{q}");
        }
        assert!(
            from_query("pl=1e309", &ExperimentConfig::default()).notices[0]
                .starts_with("pl=\"1e309\" is not valid")
        );
    }

    #[test]
    fn benchmark_pages_are_read_and_bad_ones_say_why() {
        assert_eq!(bench_request("?model=dml"), None);
        assert_eq!(
            bench_request("?bench=cpu&bench_steps=5"),
            Some(Ok((BenchMode::Cpu, 5)))
        );
        assert_eq!(
            bench_request("bench=cpu-ndarray"),
            Some(Ok((BenchMode::CpuNdarray, BENCH_STEPS)))
        );
        assert_eq!(
            bench_request("bench=agreement"),
            Some(Ok((BenchMode::Agreement, BENCH_STEPS)))
        );
        assert_eq!(
            bench_request("bench=webgpu&bench_steps=abc"),
            Some(Err(
                "bench_steps=\"abc\": expected a whole number in 1..=1000".into()
            ))
        );
        assert!(bench_request("bench=gpu").unwrap().is_err());
    }

    /// The page's defaults: one epoch (what a browser tab trains quickly).
    fn page_in(version: u32, model: ModelKind) -> ExperimentConfig {
        ExperimentConfig {
            epochs: 1,
            ..ExperimentConfig::recommended_in(version, model)
        }
    }

    fn page(model: ModelKind) -> ExperimentConfig {
        page_in(CURRENT_VERSION, model)
    }

    fn page_defaults() -> LinkDefaults<'static> {
        LinkDefaults {
            of_version: &page_in,
        }
    }

    #[test]
    fn a_link_made_before_the_defaults_changed_restores_its_experiment() {
        // What the page wrote before `v` existed for DML-AE at 0.1 % labels: the plain
        // defaults (batch-all, margin 1, MSE, α .5, lr 1e-3) were left out.
        let old = restore("?model=dml-ae&pl=0.1&run=1", &page_defaults());
        assert!(old.notices.is_empty(), "{:?}", old.notices);
        assert!(old.autostart);
        let then = ExperimentConfig {
            model: ModelKind::DmlAe,
            pl: 0.1,
            epochs: 1,
            ..Default::default()
        };
        assert_eq!(old.config, then);
        // A v=2 link made before DML-AE's batches and α changed: the recipe of then.
        let v2 = restore("?v=2&model=dml-ae&pl=0.1", &page_defaults()).config;
        assert_eq!((v2.batch_size, v2.alpha, v2.lr), (256, 0.9, 2e-3));
        assert_eq!(
            v2,
            ExperimentConfig {
                pl: 0.1,
                ..page_in(2, ModelKind::DmlAe)
            }
        );
        // The same parameters in today's format are today's recipe for DML-AE.
        let now = restore(
            &format!("?v={CURRENT_VERSION}&model=dml-ae&pl=0.1"),
            &page_defaults(),
        )
        .config;
        assert_eq!(
            now,
            ExperimentConfig {
                pl: 0.1,
                ..page(ModelKind::DmlAe)
            }
        );
        assert_ne!(now, then);
        assert_ne!(now, v2);
        // What a v=2 link of that experiment says today: the fields v=3 left behind.
        let q = share_query(&v2, &page_defaults(), None, false);
        assert_eq!(q, "v=4&model=dml-ae&pl=0.1&batch_size=256&alpha=0.9");
        assert_eq!(restore(&q, &page_defaults()).config, v2);
        // A v=3 MetricVAE link, made before the neighbour term joined its defaults, keeps it
        // off, and says so when shared again.
        let v3 = restore("?v=3&model=metric-vae&pl=0.01", &page_defaults()).config;
        assert_eq!(v3.neighbours, 0.0);
        assert_eq!(
            share_query(&v3, &page_defaults(), None, false),
            "v=4&model=metric-vae&pl=0.01&neighbours=0"
        );
        let v4 = restore("?v=4&model=metric-vae&pl=0.01", &page_defaults()).config;
        assert_eq!(
            v4,
            ExperimentConfig {
                neighbours: 0.3,
                ..v3
            }
        );
    }

    #[test]
    fn a_link_read_against_older_defaults_says_so_and_what_todays_would_change() {
        let d = page_defaults();
        // Hand-written, without `v`: the first defaults, and today's are offered.
        let old = restore("?backend=webgpu", &d);
        let older = old.older_defaults.expect("older defaults");
        assert_eq!(older.version, 1);
        let today = restore(&format!("?v={CURRENT_VERSION}&backend=webgpu"), &d);
        assert_eq!(older.today, today.config);
        assert_ne!(old.config, today.config);
        assert!(!older.changes.is_empty());
        for change in &older.changes {
            let (field, value) = change.split_once('=').expect("field=value");
            assert_eq!(
                today.config.value_of(field).as_deref(),
                Some(value),
                "{change}"
            );
            assert_ne!(
                old.config.value_of(field).as_deref(),
                Some(value),
                "{change}"
            );
        }
        // An older version states the same; today's version and the bare page do not.
        assert_eq!(
            restore("?v=3&model=metric-vae", &d)
                .older_defaults
                .map(|o| (o.version, o.changes)),
            Some((3, vec!["neighbours=0.3".to_string()]))
        );
        assert_eq!(today.older_defaults, None);
        assert_eq!(restore("", &d).older_defaults, None);
        // A v=3 DML link: DML's defaults did not change from 3 to 4, nothing to offer.
        assert_eq!(restore("?v=3&pl=0.1", &d).older_defaults, None);
    }

    #[test]
    fn links_state_their_version_and_the_differences_from_their_models_defaults() {
        let d = page_defaults();
        assert_eq!(share_query(&page(ModelKind::Dml), &d, None, false), "v=4");
        assert_eq!(
            share_query(&page(ModelKind::MetricVae), &d, None, true),
            "v=4&model=metric-vae&run=1"
        );
        // Nothing in the query: the page opens with DML's defaults.
        assert_eq!(restore("", &d).config, page(ModelKind::Dml));
        let cfg = ExperimentConfig {
            alpha: 0.7,
            augment: true,
            lsdim: 4,
            ..page(ModelKind::DmlAe)
        };
        let q = share_query(&cfg, &d, Some("https://x.org/o.npz"), false);
        assert_eq!(
            q,
            "v=4&model=dml-ae&lsdim=4&augment=true&alpha=0.7&data_url=https%3A%2F%2Fx.org%2Fo.npz"
        );
        let back = restore(&q, &d);
        assert_eq!((back.config, back.notices.len()), (cfg, 0));
        assert_eq!(back.data_url.as_deref(), Some("https://x.org/o.npz"));
        for bad in ["9", "0", "two"] {
            let future = restore(&format!("v={bad}&model=dml-ae"), &d);
            assert_eq!(future.config, page(ModelKind::DmlAe));
            assert_eq!(future.notices.len(), 1);
            assert!(
                future.notices[0].starts_with(&format!("link version v=\"{bad}\" is unknown")),
                "{:?}",
                future.notices
            );
        }
    }
}
