//! Times the random-forest or MLP probe (5-fold) on synthetic embeddings shaped like a trained
//! model's: 10k points, 10 classes, 10-D, overlapping Gaussian-like clusters. Prints accuracy and
//! seconds. `[DIM=10] [NOISE=1.3] cargo run --release --example probe_bench -- rf|mlp`
use dml_lab::eval::{folds, forest, knn::accuracy, mlp_probe};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::time::Instant;

fn main() {
    let mut rng = StdRng::seed_from_u64(1);
    let env = |k: &str, v: f32| {
        std::env::var(k)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(v)
    };
    let (n, d, c) = (10000usize, env("DIM", 10.0) as usize, 10usize);
    let noise = env("NOISE", 1.3);
    let centers: Vec<f32> = (0..c * d).map(|_| rng.random::<f32>() * 6.0).collect();
    let mut emb = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let k = i % c;
        for j in 0..d {
            // Sum of 6 uniforms: roughly Gaussian noise with sd NOISE (default 1.3).
            let g: f32 = (0..6).map(|_| rng.random::<f32>()).sum::<f32>() - 3.0;
            emb.push(centers[k * d + j] + noise * g);
        }
        labels.push(k as u8);
    }
    let fold_of = folds::assign_folds(n, 5, 0);
    let what = std::env::args().nth(1).unwrap_or_else(|| "rf".into());
    let start = Instant::now();
    let mut pred = vec![0u8; n];
    for f in 0..5 {
        let fit_predict = |tr: &[f32], l: &[u8], te: &[f32], seed: u64| match what.as_str() {
            "rf" => forest::fit_predict(tr, l, te, d, seed),
            "mlp" => Ok(mlp_probe::fit_predict(tr, l, te, d, c, seed)),
            other => Err(format!("unknown probe {other}: expected rf or mlp")),
        };
        let (idx, p) = folds::predict_fold(&emb, d, &labels, &fold_of, f, 0, fit_predict)
            .expect("the probe fits");
        idx.iter().zip(p).for_each(|(&i, x)| pred[i] = x);
    }
    println!(
        "{what}: accuracy {:.4} in {:.2}s",
        accuracy(&labels, &pred),
        start.elapsed().as_secs_f64()
    );
}
