//! One flag per config field (`--lsdim 4`, `--recon bce`, `--augment`), made from the field
//! table in `config::fields`: names, help and accepted values come from there, and values are
//! read with the same parser links and sweeps use.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::config::{parse_name, Choice, ExperimentConfig, Field, FieldKind, ModelKind, FIELDS};

/// The config fields given on the command line, as (field, text), in field order.
#[derive(Debug, Clone, Default)]
pub struct ConfigFlags(pub Vec<(&'static str, String)>);

impl ConfigFlags {
    /// `base` with every given flag applied (not yet validated); a value the field cannot take
    /// is an error naming the flag.
    pub fn apply(&self, base: ExperimentConfig) -> Result<ExperimentConfig, String> {
        self.0.iter().try_fold(base, |cfg, (name, text)| {
            cfg.with_text(name, text)
                .map_err(|e| format!("--{} {text}: {e}", flag(name)))
        })
    }

    /// The model `--model` names, if it names one (a bad name is reported by [`Self::apply`]).
    pub fn model(&self) -> Option<ModelKind> {
        self.0
            .iter()
            .find(|(name, _)| *name == "model")
            .and_then(|(_, text)| parse_name(text).ok())
    }
}

/// The flag of a field: its name with dashes.
pub fn flag(name: &str) -> String {
    name.replace('_', "-")
}

/// The flag's help: the field's explanation, its values and the default the CLI starts from
/// (`defaults[0]`, DML's; then the models whose own default differs).
fn help(f: &Field, defaults: &[ExperimentConfig]) -> String {
    let mut default = defaults[0].value_of(f.name).unwrap_or_default();
    let mut others: Vec<(String, Vec<String>)> = Vec::new();
    for d in &defaults[1..] {
        let (m, value) = (d.model, d.value_of(f.name).unwrap_or_default());
        if f.name != "model" && value != default {
            match others.iter_mut().find(|(v, _)| *v == value) {
                Some((_, models)) => models.push(m.name()),
                None => others.push((value, vec![m.name()])),
            }
        }
    }
    for (value, models) in others {
        default.push_str(&format!("; {value} for {}", models.join(", ")));
    }
    match f.kind {
        FieldKind::Choice(options) => {
            let names: Vec<String> = options().into_iter().map(|o| o.name).collect();
            format!("{} ({}) [default: {default}]", f.help, names.join(", "))
        }
        _ => format!("{} [default: {default}]", f.help),
    }
}

fn arg(f: &'static Field, defaults: &[ExperimentConfig]) -> Arg {
    let arg = Arg::new(f.name)
        .long(flag(f.name))
        .help(help(f, defaults))
        .action(ArgAction::Set)
        .help_heading("Experiment (each overrides --config)");
    match f.kind {
        FieldKind::Choice(options) => {
            arg.value_name("NAME")
                .value_parser(PossibleValuesParser::new(
                    options().into_iter().map(|o| o.name),
                ))
        }
        FieldKind::Integer => arg.value_name("N"),
        FieldKind::Real => arg.value_name("X"),
        FieldKind::Flag => arg
            .value_name("BOOL")
            .num_args(0..=1)
            .default_missing_value("true"),
    }
}

/// The config the CLI starts from when no `--config` is given: the model's recommended
/// config, on the CPU.
pub fn cli_defaults(model: ModelKind) -> ExperimentConfig {
    ExperimentConfig {
        backend: crate::config::BackendChoice::Cpu,
        ..ExperimentConfig::recommended(model)
    }
}

impl FromArgMatches for ConfigFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self(
            FIELDS
                .iter()
                .filter_map(|f| {
                    matches
                        .get_one::<String>(f.name)
                        .map(|text| (f.name, text.clone()))
                })
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for ConfigFlags {
    fn augment_args(cmd: Command) -> Command {
        // Each model's defaults once; `ALL` starts with DML, the CLI's when no --model is given.
        let defaults: Vec<ExperimentConfig> =
            ModelKind::ALL.iter().copied().map(cli_defaults).collect();
        FIELDS.iter().fold(cmd, |cmd, f| cmd.arg(arg(f, &defaults)))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        flags: ConfigFlags,
    }

    #[test]
    fn every_field_is_a_flag_read_as_links_read_it() {
        let cli = Cli::try_parse_from([
            "x",
            "--lsdim",
            "4",
            "--recon",
            "bce",
            "--augment",
            "--normalize",
            "false",
            "--lr",
            "7.770000000000002e-75",
        ])
        .unwrap();
        let cfg = cli.flags.apply(cli_defaults(ModelKind::Dml)).unwrap();
        assert_eq!(cfg.lsdim, 4);
        assert_eq!(cfg.recon, crate::config::ReconLoss::Bce);
        assert!(cfg.augment);
        assert!(!cfg.normalize);
        assert_eq!(cfg.lr.to_bits(), 7.770000000000002e-75f64.to_bits());
        let help = Cli::command().render_help().to_string();
        for f in FIELDS {
            assert!(help.contains(&format!("--{}", flag(f.name))), "{}", f.name);
        }
        assert!(Cli::try_parse_from(["x", "--model", "resnet"]).is_err());
        let bad = Cli::try_parse_from(["x", "--lsdim", "four"]).unwrap();
        assert_eq!(
            bad.flags.apply(cli_defaults(ModelKind::Dml)).unwrap_err(),
            "--lsdim four: expected a whole number"
        );
    }

    #[test]
    fn the_model_flag_picks_the_models_defaults_and_help_names_them() {
        let cli = Cli::try_parse_from(["x", "--model", "dml-ae", "--alpha", "0.6"]).unwrap();
        assert_eq!(cli.flags.model(), Some(ModelKind::DmlAe));
        let cfg = cli.flags.apply(cli_defaults(ModelKind::DmlAe)).unwrap();
        let recommended = ExperimentConfig::recommended(ModelKind::DmlAe);
        assert_eq!(
            (cfg.recon, cfg.lr, cfg.alpha),
            (recommended.recon, recommended.lr, 0.6)
        );
        assert_eq!(Cli::try_parse_from(["x"]).unwrap().flags.model(), None);
        let help = Cli::command().render_help().to_string();
        assert!(
            help.contains("[default: mse; bce for dml-ae, metric-vae, ae, vae]"),
            "{help}"
        );
    }
}
