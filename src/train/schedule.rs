//! How L_S and L_U are weighted, epoch by epoch.

use crate::config::{ExperimentConfig, Schedule};

/// Weights of the supervised and unsupervised losses in one step's total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub supervised: f64,
    pub unsupervised: f64,
    /// β, the KL's weight inside L_U (below 1 during a KL warm-up; see [`kl_weight`]).
    pub kl: f64,
}

/// The weights for `epoch` (counting from 1). Models with only one of the two losses train it
/// alone every step (dml: L = L_S; ae, vae: L = L_U), whatever the schedule; the others follow it:
/// - alternating: odd epochs (1−α)·L_S + α·L_U, even epochs α·L_U (the paper);
/// - joint: (1−α)·L_S + α·L_U every step;
/// - joint-gamma: L_U + γ·L_S every step.
pub fn weights(cfg: &ExperimentConfig, epoch: usize) -> Weights {
    let (has_s, has_u) = (
        cfg.model.has_metric_loss(),
        cfg.model.has_unsupervised_loss(),
    );
    let (supervised, unsupervised) = match (has_s, has_u) {
        (true, false) => (1.0, 0.0),
        (false, true) => (0.0, 1.0),
        (false, false) => (0.0, 0.0),
        (true, true) => match cfg.schedule {
            Schedule::Joint => (1.0 - cfg.alpha, cfg.alpha),
            Schedule::JointGamma => (cfg.gamma, 1.0),
            Schedule::Alternating if epoch % 2 == 1 => (1.0 - cfg.alpha, cfg.alpha),
            Schedule::Alternating => (0.0, cfg.alpha),
        },
    };
    Weights {
        supervised,
        unsupervised,
        kl: 1.0,
    }
}

/// β at the run's step `index` (counting from 0 over all epochs): with `kl_warmup` = W epochs
/// of `steps_per_epoch` steps, β = min(1, index / (W · steps_per_epoch)), so the first step
/// trains without the KL and β reaches 1 after W epochs; 1 throughout when W = 0.
pub fn kl_weight(cfg: &ExperimentConfig, index: usize, steps_per_epoch: usize) -> f64 {
    let ramp = cfg.kl_warmup * steps_per_epoch as f64;
    if ramp <= 0.0 {
        1.0
    } else {
        (index as f64 / ramp).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKind;

    #[test]
    fn schedules_follow_the_paper_and_the_thesis() {
        let cfg = |model, schedule| ExperimentConfig {
            model,
            schedule,
            alpha: 0.25,
            gamma: 5.0,
            ..Default::default()
        };
        let w = |s, u| Weights {
            supervised: s,
            unsupervised: u,
            kl: 1.0,
        };
        let alt = cfg(ModelKind::DmlAe, Schedule::Alternating);
        assert_eq!(weights(&alt, 1), w(0.75, 0.25));
        assert_eq!(weights(&alt, 2), w(0.0, 0.25));
        assert_eq!(weights(&alt, 3), w(0.75, 0.25));
        assert_eq!(
            weights(&cfg(ModelKind::MetricVae, Schedule::Joint), 2),
            w(0.75, 0.25)
        );
        assert_eq!(
            weights(&cfg(ModelKind::MetricVae, Schedule::JointGamma), 2),
            w(5.0, 1.0)
        );
        assert_eq!(
            weights(&cfg(ModelKind::Dml, Schedule::Alternating), 2),
            w(1.0, 0.0)
        );
        assert_eq!(
            weights(&cfg(ModelKind::Ae, Schedule::Joint), 1),
            w(0.0, 1.0)
        );
    }

    #[test]
    fn kl_warm_up_rises_linearly_over_its_epochs() {
        let off = ExperimentConfig::default();
        assert_eq!(kl_weight(&off, 0, 100), 1.0);
        let warm = ExperimentConfig {
            kl_warmup: 2.0,
            ..Default::default()
        };
        assert_eq!(kl_weight(&warm, 0, 100), 0.0);
        assert_eq!(kl_weight(&warm, 50, 100), 0.25);
        assert_eq!(kl_weight(&warm, 150, 100), 0.75);
        assert_eq!(kl_weight(&warm, 200, 100), 1.0);
        assert_eq!(kl_weight(&warm, 999, 100), 1.0);
        let half = ExperimentConfig {
            kl_warmup: 0.5,
            ..Default::default()
        };
        assert_eq!(kl_weight(&half, 25, 100), 0.5);
    }
}
