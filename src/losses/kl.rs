//! Log-densities and KL terms of the ELBO: diagonal Gaussians, equal-weight mixtures of them
//! (the GMM prior and the VampPrior), and the analytic KL to the unit Gaussian.

use burn::prelude::*;

/// Log-density `[batch]` of a diagonal Gaussian at `z`, parameters `[batch, d]` each.
pub fn gaussian_log_density(z: Tensor<2>, mean: Tensor<2>, logvar: Tensor<2>) -> Tensor<1> {
    let d = z.dims()[1] as f64;
    let sq = (z - mean).powi_scalar(2) * logvar.clone().neg().exp();
    (sq + logvar)
        .sum_dim(1)
        .squeeze_dim::<1>(1)
        .mul_scalar(-0.5)
        .sub_scalar(0.5 * d * (2.0 * std::f64::consts::PI).ln())
}

/// Log-density `[batch]` at `z: [batch, d]` of the equal-weight mixture of diagonal Gaussians
/// with means and log-variances `[K, d]`.
pub fn mixture_log_density(z: Tensor<2>, means: Tensor<2>, logvars: Tensor<2>) -> Tensor<1> {
    let [k, d] = means.dims();
    let diff = z.unsqueeze_dim::<3>(1) - means.unsqueeze_dim::<3>(0); // [batch, K, d]
    let inv_var = logvars.clone().neg().exp().unsqueeze_dim::<3>(0); // [1, K, d]
    let per_component = (diff.powi_scalar(2) * inv_var + logvars.unsqueeze_dim::<3>(0))
        .sum_dim(2)
        .squeeze_dim::<2>(2)
        .mul_scalar(-0.5)
        .sub_scalar(0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()); // [batch, K]
    log_sum_exp(per_component).sub_scalar((k as f64).ln())
}

/// `log Σ_k exp(x[:, k])` for `x: [batch, K]`, computed stably.
pub fn log_sum_exp(x: Tensor<2>) -> Tensor<1> {
    let max = x.clone().max_dim(1).detach(); // [batch, 1]
    ((x - max.clone()).exp().sum_dim(1).log() + max).squeeze_dim::<1>(1)
}

/// Analytic KL(N(mean, exp(logvar)) ‖ N(0, I)) per row and dimension: `[batch, d]`,
/// ½ (μ² + σ² − log σ² − 1).
pub fn unit_gaussian_kl_per_dim(mean: Tensor<2>, logvar: Tensor<2>) -> Tensor<2> {
    (mean.powi_scalar(2) + logvar.clone().exp() - logvar.add_scalar(1.0)).mul_scalar(0.5)
}

/// Analytic KL(N(mean, exp(logvar)) ‖ N(0, I)) per row: `[batch]`.
pub fn unit_gaussian_kl(mean: Tensor<2>, logvar: Tensor<2>) -> Tensor<1> {
    unit_gaussian_kl_per_dim(mean, logvar)
        .sum_dim(1)
        .squeeze_dim::<1>(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    fn t2(rows: &[&[f32]], device: &Device) -> Tensor<2> {
        let d = rows[0].len();
        Tensor::from_data(TensorData::new(rows.concat(), [rows.len(), d]), device)
    }

    fn scalar(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec().unwrap()
    }

    #[test]
    fn mixture_density_matches_a_direct_computation() {
        let device = crate::backend::cpu();
        let z = [0.3f32, -0.7];
        let means = [[1.0f32, 1.0], [-1.0, -1.0], [1.0, -1.0]];
        let logvar = 1.0f32;
        let got = scalar(mixture_log_density(
            t2(&[&z], &device),
            t2(&[&means[0], &means[1], &means[2]], &device),
            Tensor::<2>::ones([3, 2], &device).mul_scalar(logvar),
        ))[0];
        let var = logvar.exp() as f64;
        let density: f64 = means
            .iter()
            .map(|m| {
                let sq: f64 = z.iter().zip(m).map(|(a, b)| ((a - b) as f64).powi(2)).sum();
                (-(sq) / (2.0 * var)).exp() / (2.0 * std::f64::consts::PI * var)
            })
            .sum::<f64>()
            / 3.0;
        assert!(
            (got as f64 - density.ln()).abs() < 1e-5,
            "{got} vs {}",
            density.ln()
        );
    }

    #[test]
    fn unit_kl_per_dimension_matches_hand_computed_values() {
        let device = crate::backend::cpu();
        // μ = 1, σ² = 1: ½(1 + 1 − 0 − 1) = 0.5; μ = 0, log σ² = ln 2: ½(0 + 2 − ln 2 − 1).
        let mean = t2(&[&[1.0, 0.0], &[0.0, 0.0]], &device);
        let logvar = t2(&[&[0.0, 2f32.ln()], &[0.0, 0.0]], &device);
        let per_dim: Vec<f32> = unit_gaussian_kl_per_dim(mean.clone(), logvar.clone())
            .into_data()
            .try_to_vec()
            .unwrap();
        let second = 0.5 * (1.0 - 2f32.ln());
        let want = [0.5, second, 0.0, 0.0];
        for (g, w) in per_dim.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{per_dim:?} vs {want:?}");
        }
        let rows = scalar(unit_gaussian_kl(mean, logvar));
        assert!(
            (rows[0] - (0.5 + second)).abs() < 1e-6 && rows[1].abs() < 1e-6,
            "{rows:?}"
        );
    }

    #[test]
    fn analytic_and_monte_carlo_kl_agree_for_the_unit_prior() {
        let device = crate::backend::cpu();
        device.seed(3);
        let mean = t2(&[&[0.5, -1.0, 0.2]], &device);
        let logvar = t2(&[&[-0.5, 0.3, -1.2]], &device);
        let analytic = scalar(unit_gaussian_kl(mean.clone(), logvar.clone()))[0] as f64;
        let n = 20000;
        let mean_n = mean.repeat_dim(0, n);
        let logvar_n = logvar.repeat_dim(0, n);
        let eps = Tensor::<2>::random([n, 3], Distribution::Normal(0.0, 1.0), &device);
        let z = mean_n.clone() + eps * logvar_n.clone().mul_scalar(0.5).exp();
        let log_q = gaussian_log_density(z.clone(), mean_n, logvar_n);
        let log_p = gaussian_log_density(
            z.clone(),
            Tensor::zeros([n, 3], &device),
            Tensor::zeros([n, 3], &device),
        );
        let samples: Vec<f32> = (log_q - log_p).into_data().try_to_vec().unwrap();
        let mc = samples.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        let var = samples
            .iter()
            .map(|&x| (x as f64 - mc).powi(2))
            .sum::<f64>()
            / (n - 1) as f64;
        let stderr = (var / n as f64).sqrt();
        assert!(
            (mc - analytic).abs() < 4.0 * stderr,
            "MC {mc} ± {stderr} vs analytic {analytic}"
        );
    }
}
