//! Seeded parameter initialisation on the host.
//!
//! burn draws initial weights from each device's own random stream, so the same seed gave a
//! different model on ndarray, flex and wgpu, and runs on two backends diverged from step 0
//! however right their kernels were. Every random number a run needs (initial weights, class
//! centres, the VAE's ε) is drawn here instead, from one seeded generator on the host, and
//! moved to the device: a seed means the same initial model and the same draws everywhere.
//!
//! The distributions are burn's defaults: Kaiming-uniform with gain 1/√3, i.e. U(−k, k) with
//! k = 1/√fan_in, for the weights and biases of linear and (transposed) convolution layers.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use rand_distr::StandardNormal;

/// A seeded source of initial parameters and noise, living on the host.
pub struct HostRng {
    rng: StdRng,
    device: Device,
}

impl HostRng {
    /// Draws from `seed`; tensors are made on `device`.
    pub fn new(seed: u64, device: &Device) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            device: device.clone(),
        }
    }

    /// The device the tensors go to.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `n` values from U(lo, hi).
    pub fn uniform_values(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n)
            .map(|_| lo + (hi - lo) * self.rng.random::<f32>())
            .collect()
    }

    /// `n` values from N(0, 1).
    pub fn normal_values(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.rng.sample(StandardNormal)).collect()
    }

    /// A tensor of `shape` with values from U(lo, hi).
    pub fn uniform<const D: usize>(&mut self, shape: [usize; D], lo: f32, hi: f32) -> Tensor<D> {
        let values = self.uniform_values(shape.iter().product(), lo, hi);
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }

    /// A tensor of `shape` with values from N(0, 1).
    pub fn normal<const D: usize>(&mut self, shape: [usize; D]) -> Tensor<D> {
        let values = self.normal_values(shape.iter().product());
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }

    /// A trainable parameter of `shape` from U(−k, k), k = 1/√fan_in.
    fn kaiming<const D: usize>(&mut self, shape: [usize; D], fan_in: usize) -> Param<Tensor<D>> {
        let k = 1.0 / (fan_in.max(1) as f32).sqrt();
        let values = self.uniform_values(shape.iter().product(), -k, k);
        Param::from_data(TensorData::new(values, shape), &self.device)
    }

    /// A trainable parameter of `shape` from N(0, 1).
    pub fn normal_param<const D: usize>(&mut self, shape: [usize; D]) -> Param<Tensor<D>> {
        let values = self.normal_values(shape.iter().product());
        Param::from_data(TensorData::new(values, shape), &self.device)
    }

    /// A linear layer `d_in → d_out` (weight `[d_in, d_out]`, bias `[d_out]`).
    pub fn linear(&mut self, d_in: usize, d_out: usize) -> Linear {
        // burn's own initialiser never runs: its lazy parameters are replaced before first use.
        let mut layer = LinearConfig::new(d_in, d_out)
            .with_initializer(Initializer::Zeros)
            .init(&self.device);
        layer.weight = self.kaiming([d_in, d_out], d_in);
        layer.bias = Some(self.kaiming([d_out], d_in));
        layer
    }

    /// A convolution as `config` describes it (weight `[c_out, c_in, k1, k2]`).
    pub fn conv2d(&mut self, config: Conv2dConfig) -> Conv2d {
        let [c_in, c_out] = config.channels;
        let [k1, k2] = config.kernel_size;
        let fan_in = c_in / config.groups * k1 * k2;
        let mut layer = config
            .with_initializer(Initializer::Zeros)
            .init(&self.device);
        layer.weight = self.kaiming([c_out, c_in / layer.groups, k1, k2], fan_in);
        layer.bias = layer.bias.is_some().then(|| self.kaiming([c_out], fan_in));
        layer
    }

    /// A transposed convolution as `config` describes it (weight `[c_in, c_out, k1, k2]`;
    /// burn's fan-in for it is `c_out · k1 · k2`).
    pub fn conv_transpose2d(&mut self, config: ConvTranspose2dConfig) -> ConvTranspose2d {
        let [c_in, c_out] = config.channels;
        let [k1, k2] = config.kernel_size;
        let fan_in = c_out / config.groups * k1 * k2;
        let groups = config.groups;
        let mut layer = config
            .with_initializer(Initializer::Zeros)
            .init(&self.device);
        layer.weight = self.kaiming([c_in, c_out / groups, k1, k2], fan_in);
        layer.bias = layer.bias.is_some().then(|| self.kaiming([c_out], fan_in));
        layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_into_vec().unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_layers_on_any_device_and_another_seed_does_not() {
        let device = crate::backend::cpu();
        let layer = |seed| {
            let l = HostRng::new(seed, &device).linear(5, 3);
            (values(l.weight.val()), values(l.bias.unwrap().val()))
        };
        assert_eq!(layer(1), layer(1));
        assert_ne!(layer(1).0, layer(2).0);
        // The values do not depend on the device's own random stream.
        device.seed(99);
        let a = layer(1);
        device.seed(100);
        assert_eq!(a, layer(1));
        // Nor on the backend.
        #[cfg(not(target_arch = "wasm32"))]
        {
            let other = crate::backend::ndarray();
            let l = HostRng::new(1, &other).linear(5, 3);
            assert_eq!(values(l.weight.val()), a.0);
        }
    }

    #[test]
    fn kaiming_bounds_and_shapes_follow_fan_in() {
        let device = crate::backend::cpu();
        let mut rng = HostRng::new(3, &device);
        let l = rng.linear(400, 7);
        assert_eq!(l.weight.val().dims(), [400, 7]);
        let w = values(l.weight.val());
        let k = 1.0 / 20.0; // 1/√400
        assert!(w.iter().all(|x| x.abs() <= k));
        assert!(w.iter().any(|x| x.abs() > 0.9 * k), "spans the interval");
        let conv = rng.conv2d(Conv2dConfig::new([3, 8], [4, 4]));
        assert_eq!(conv.weight.val().dims(), [8, 3, 4, 4]);
        let bound = 1.0 / (48f32).sqrt();
        assert!(values(conv.weight.val()).iter().all(|x| x.abs() <= bound));
        let deconv = rng.conv_transpose2d(ConvTranspose2dConfig::new([8, 2], [4, 4]));
        assert_eq!(deconv.weight.val().dims(), [8, 2, 4, 4]);
        let bound = 1.0 / (32f32).sqrt();
        assert!(values(deconv.weight.val()).iter().all(|x| x.abs() <= bound));
        let n = values(rng.normal([10000]));
        let mean = n.iter().sum::<f32>() / 1e4;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / 1e4;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
