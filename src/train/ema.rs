//! An exponential moving average of a model's parameters (Polyak averaging; the mean teacher's
//! weights): after each step `avg ← d·avg + (1 − d)·θ`, with the decay ramped up as
//! `min(d, (1 + t) / (10 + t))` over the first steps so that the initial parameters fade fast
//! in short runs. Only float parameters are averaged, in the order the module visits them.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

use crate::model::LabModel;

/// The averaged model and how many updates it has had.
pub struct Ema {
    model: LabModel,
    decay: f64,
    updates: usize,
}

/// Every float parameter, flattened, in visiting order.
struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n: usize = t.dims().iter().product();
        self.0.push(t.reshape([n]));
    }
}

/// Blends each float parameter with the next collected one.
struct Blend {
    new: std::vec::IntoIter<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let new = self
            .new
            .next()
            .expect("the average has the model's parameters");
        let decay = self.decay;
        param.map(|avg| {
            let dims = avg.dims();
            avg.mul_scalar(decay) + new.reshape(dims).mul_scalar(1.0 - decay)
        })
    }
}

impl Ema {
    /// Starts the average at `model` (a copy without gradients).
    pub fn new(model: &LabModel, decay: f64) -> Self {
        Self {
            model: model.valid(),
            decay,
            updates: 0,
        }
    }

    /// The decay of the next update.
    fn next_decay(&self) -> f64 {
        let t = self.updates as f64;
        self.decay.min((1.0 + t) / (10.0 + t))
    }

    /// Moves the average toward `model`'s parameters.
    pub fn update(&mut self, model: &LabModel) {
        let mut collect = Collect(Vec::new());
        let student = model.valid();
        student.visit(&mut collect);
        let mut blend = Blend {
            new: collect.0.into_iter(),
            decay: self.next_decay(),
        };
        let avg = std::mem::replace(&mut self.model, student);
        self.model = avg.map(&mut blend);
        self.updates += 1;
    }

    /// The averaged model.
    pub fn model(&self) -> &LabModel {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ExperimentConfig, ModelKind};
    use crate::data::ImageShape;
    use crate::model::HostRng;

    fn params(model: &LabModel) -> Vec<f32> {
        let mut collect = Collect(Vec::new());
        model.visit(&mut collect);
        collect
            .0
            .into_iter()
            .flat_map(|t| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap())
            .collect()
    }

    /// Each update blends every parameter (the VampPrior's pseudo-inputs too) with the
    /// model's, at the ramped decay: 1/10 first, then 2/11, ..., never above `decay`.
    #[test]
    fn the_average_blends_every_parameter_at_the_ramped_decay() {
        let device = crate::backend::cpu();
        let cfg = ExperimentConfig {
            model: ModelKind::MetricVae,
            lsdim: 3,
            vamp_components: 4,
            ..Default::default()
        };
        let shape = ImageShape { rows: 28, cols: 28 };
        let make = |seed| LabModel::new(&cfg, shape, 10, None, &mut HostRng::new(seed, &device));
        let (a, b) = (make(1), make(2));
        let (pa, pb) = (params(&a), params(&b));
        assert_eq!(pa.len(), pb.len());
        assert!(pa.iter().zip(&pb).any(|(x, y)| x != y));
        let mut ema = Ema::new(&a, 0.5);
        for (k, d) in [0.1, 2.0 / 11.0].into_iter().enumerate() {
            let before = params(ema.model());
            ema.update(&b);
            let after = params(ema.model());
            for ((x, y), z) in before.iter().zip(&pb).zip(&after) {
                let want = d as f32 * x + (1.0 - d as f32) * y;
                assert!(
                    (z - want).abs() <= 1e-5 * (1.0 + want.abs()),
                    "update {k}: {z} vs {want}"
                );
            }
        }
        // From the ninth update on, (1 + t) / (10 + t) is above 0.5: the decay holds.
        for _ in 2..20 {
            ema.update(&b);
        }
        assert_eq!(ema.next_decay(), 0.5);
    }
}
