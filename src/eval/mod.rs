//! Stage 5, evaluation: embeddings of the test split scored by probes and metrics.
//!
//! - classifier probes, each giving accuracy and AMI of predicted vs true labels: kNN, random
//!   forest and MLP with 5-fold cross-validation over the test embeddings (the paper's
//!   protocol), and the few-label kNN fitted on the labelled training images only;
//! - clustering: NMI and AMI of k-means clusters (k = classes);
//! - retrieval: precision@1, R-precision and MAP@R (leave-one-out over the test embeddings).

pub mod clustering;
pub mod diagnostics;
pub mod folds;
pub mod forest;
pub mod knn;
pub mod mlp_probe;
pub mod mutual_info;
pub mod pca;
pub mod retrieval;
pub mod tsne;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::train::{Flow, Observer, TrainEvent};
pub use clustering::ClusterScores;
use knn::{accuracy, CrossValKnn};
use mutual_info::adjusted_mutual_info;
pub use retrieval::RetrievalScores;

/// A probe's scores: accuracy and AMI of predicted vs true labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbeScores {
    pub accuracy: f64,
    pub ami: f64,
}

impl ProbeScores {
    pub fn of(truth: &[u8], pred: &[u8]) -> Self {
        Self {
            accuracy: accuracy(truth, pred),
            ami: adjusted_mutual_info(truth, pred),
        }
    }
}

/// Every score of a run. kNN always runs; the others can be switched off ([`Probes`]) and are
/// absent from older records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub knn: ProbeScores,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_forest: Option<ProbeScores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlp: Option<ProbeScores>,
    /// kNN fitted on the labelled training images only, predicting the test set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub few_label_knn: Option<ProbeScores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kmeans: Option<ClusterScores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalScores>,
    /// The kNN probe's confusion matrix: `[true class][predicted class]` counts (absent in
    /// older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knn_confusion: Option<Vec<Vec<u32>>>,
    /// Wall-clock seconds per probe (names as the fields above).
    #[serde(default)]
    pub seconds: BTreeMap<String, f64>,
}

impl Metrics {
    /// Accuracy/AMI of a classifier probe, if it ran.
    pub fn probe(&self, probe: ClassifierProbe) -> Option<ProbeScores> {
        match probe {
            ClassifierProbe::Knn => Some(self.knn),
            ClassifierProbe::RandomForest => self.random_forest,
            ClassifierProbe::Mlp => self.mlp,
            ClassifierProbe::FewLabelKnn => self.few_label_knn,
        }
    }
}

/// The probes that classify the test images (accuracy and AMI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassifierProbe {
    /// The paper's: kNN (k = 5) with 5-fold cross-validation over the test embeddings.
    Knn,
    RandomForest,
    Mlp,
    /// kNN fitted on the labelled training images only (the semi-supervised accuracy).
    FewLabelKnn,
}

impl ClassifierProbe {
    /// Every classifier probe, in display order.
    pub const ALL: [ClassifierProbe; 4] = [
        ClassifierProbe::Knn,
        ClassifierProbe::RandomForest,
        ClassifierProbe::Mlp,
        ClassifierProbe::FewLabelKnn,
    ];

    /// Its name in the run JSON's `metrics` and in `report --probe`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Knn => "knn",
            Self::RandomForest => "random_forest",
            Self::Mlp => "mlp",
            Self::FewLabelKnn => "few_label_knn",
        }
    }

    /// How tables label it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Knn => "kNN (k=5, 5-fold)",
            Self::RandomForest => "random forest (5-fold)",
            Self::Mlp => "MLP (5-fold)",
            Self::FewLabelKnn => "kNN on the labelled train images",
        }
    }

    /// The probe called `name`; the error lists the names.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown probe '{name}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Which optional probes run (kNN always does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probes {
    pub random_forest: bool,
    pub mlp: bool,
    pub few_label_knn: bool,
    pub kmeans: bool,
    pub retrieval: bool,
}

impl Probes {
    /// Every probe.
    pub const ALL: Probes = Probes {
        random_forest: true,
        mlp: true,
        few_label_knn: true,
        kmeans: true,
        retrieval: true,
    };
    /// The paper's kNN only.
    pub const KNN_ONLY: Probes = Probes {
        random_forest: false,
        mlp: false,
        few_label_knn: false,
        kmeans: false,
        retrieval: false,
    };
    /// Names accepted by [`Probes::parse`].
    pub const NAMES: [&str; 7] = [
        "all",
        "knn",
        "random-forest",
        "mlp",
        "few-label-knn",
        "kmeans",
        "retrieval",
    ];

    /// A comma-separated list of [`Probes::NAMES`]; `knn` alone means only kNN.
    pub fn parse(list: &str) -> Result<Probes, String> {
        let mut p = Probes::KNN_ONLY;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "all" => p = Probes::ALL,
                "knn" => {}
                "random-forest" | "rf" => p.random_forest = true,
                "mlp" => p.mlp = true,
                "few-label-knn" | "few-label" => p.few_label_knn = true,
                "kmeans" => p.kmeans = true,
                "retrieval" => p.retrieval = true,
                other => {
                    return Err(format!(
                        "unknown probe '{other}' (expected some of: {})",
                        Probes::NAMES.join(", ")
                    ))
                }
            }
        }
        Ok(p)
    }
}

/// kNN neighbours (the paper's protocol).
pub const KNN_K: usize = 5;
/// Cross-validation folds over the test embeddings.
pub const KNN_FOLDS: usize = 5;
/// Queries between two observer events, so a browser host can yield while probing.
const QUERY_CHUNK: usize = 250;

/// What the probes score.
pub struct EvalInput<'a> {
    /// Test embeddings `[n * dim]`, row-major.
    pub embeddings: &'a [f32],
    pub dim: usize,
    pub labels: &'a [u8],
    pub num_classes: usize,
    /// Embeddings and labels of the labelled training images (the few-label probe).
    pub labelled: Option<(&'a [f32], &'a [u8])>,
    pub seed: u64,
}

/// The paper's kNN accuracy (k = [`KNN_K`], [`KNN_FOLDS`]-fold) of `embeddings` in one go,
/// without observer events: for small sets measured while training goes on.
pub fn knn_accuracy(
    embeddings: &[f32],
    dim: usize,
    labels: &[u8],
    num_classes: usize,
    seed: u64,
) -> f64 {
    let knn = CrossValKnn::new(embeddings, dim, labels, num_classes, KNN_K, KNN_FOLDS, seed);
    accuracy(labels, &knn.predict(0..labels.len()))
}

/// How tables label the k-means probe.
pub const KMEANS_LABEL: &str = "k-means (k = classes)";
/// How tables label the retrieval probe.
pub const RETRIEVAL_LABEL: &str = "retrieval (leave-one-out)";

/// Tells the observer `event`; `Err(Interrupt::Stopped)` if it asks to stop.
async fn send(observer: &mut impl Observer, event: TrainEvent) -> Result<(), Interrupt> {
    match observer.on_event(&event).await {
        Flow::Stop => Err(Interrupt::Stopped),
        Flow::Continue => Ok(()),
    }
}

/// Tells the observer that probe `name` is running.
async fn announce_probe(observer: &mut impl Observer, name: &str) -> Result<(), Interrupt> {
    send(observer, TrainEvent::Probing { name: name.into() }).await
}

/// Records probe `name`'s wall time since `start` in `seconds` and tells the observer its
/// scores in words (`label` as tables show it): the page shows each probe's result while the
/// others run.
async fn probe_done(
    observer: &mut impl Observer,
    seconds: &mut BTreeMap<String, f64>,
    name: &str,
    start: Instant,
    label: &str,
    result: String,
) -> Result<(), Interrupt> {
    let took = start.elapsed().as_secs_f64();
    seconds.insert(name.into(), took);
    let event = TrainEvent::ProbeDone {
        label: label.into(),
        result,
        seconds: took,
    };
    send(observer, event).await
}

/// A classifier probe's scores in words.
fn scores_text(s: &ProbeScores) -> String {
    format!("accuracy {:.4}, AMI {:.4}", s.accuracy, s.ami)
}

/// Runs the chosen probes with an observer event between pieces of work (query chunks, folds),
/// timing each. `Ok(None)` if the observer stopped.
pub async fn evaluate(
    input: &EvalInput<'_>,
    probes: Probes,
    observer: &mut impl Observer,
) -> Result<Option<Metrics>, String> {
    match evaluate_inner(input, probes, observer).await {
        Ok(metrics) => Ok(Some(metrics)),
        Err(Interrupt::Stopped) => Ok(None),
        Err(Interrupt::Failed(e)) => Err(e),
    }
}

enum Interrupt {
    Stopped,
    Failed(String),
}

impl From<String> for Interrupt {
    fn from(e: String) -> Self {
        Interrupt::Failed(e)
    }
}

/// A classifier probe over the folds `fold_of`: each fold is predicted by
/// `fit_predict(train, train_labels, test, seed)` fitted on the others, with an observer event
/// before each fold.
async fn cross_validated(
    input: &EvalInput<'_>,
    fold_of: &[usize],
    name: &str,
    observer: &mut impl Observer,
    fit_predict: impl Fn(&[f32], &[u8], &[f32], u64) -> Result<Vec<u8>, String>,
) -> Result<ProbeScores, Interrupt> {
    let mut pred = vec![0u8; input.labels.len()];
    for f in 0..KNN_FOLDS {
        announce_probe(observer, name).await?;
        let (idx, p) = folds::predict_fold(
            input.embeddings,
            input.dim,
            input.labels,
            fold_of,
            f,
            input.seed,
            &fit_predict,
        )?;
        idx.iter().zip(p).for_each(|(&i, c)| pred[i] = c);
    }
    Ok(ProbeScores::of(input.labels, &pred))
}

/// Every probe of `probes` in turn (kNN always), each announced to the observer and timed.
async fn evaluate_inner(
    input: &EvalInput<'_>,
    probes: Probes,
    observer: &mut impl Observer,
) -> Result<Metrics, Interrupt> {
    let (n, dim) = (input.labels.len(), input.dim);
    if input.embeddings.len() != n * dim || n < KNN_FOLDS {
        return Err(format!(
            "evaluation needs at least {KNN_FOLDS} embeddings of size {dim} with one label each \
             (got {} values for {n} labels)",
            input.embeddings.len()
        )
        .into());
    }
    let mut seconds = BTreeMap::new();
    let (knn, knn_confusion) = knn_probe(input, observer, &mut seconds).await?;
    let fold_of = folds::assign_folds(n, KNN_FOLDS, input.seed);
    let (dim, classes) = (input.dim, input.num_classes);
    let random_forest = if probes.random_forest {
        let probe = (ClassifierProbe::RandomForest, "random_forest");
        let fit = |tr: &[f32], l: &[u8], te: &[f32], s| forest::fit_predict(tr, l, te, dim, s);
        Some(classifier_probe(input, &fold_of, probe, observer, &mut seconds, fit).await?)
    } else {
        None
    };
    let mlp = if probes.mlp {
        let probe = (ClassifierProbe::Mlp, "mlp");
        let fit = |tr: &[f32], l: &[u8], te: &[f32], s| {
            Ok(mlp_probe::fit_predict(tr, l, te, dim, classes, s))
        };
        Some(classifier_probe(input, &fold_of, probe, observer, &mut seconds, fit).await?)
    } else {
        None
    };
    let few_label_knn = match input.labelled {
        Some((refs, ref_labels)) if probes.few_label_knn && !ref_labels.is_empty() => {
            Some(few_label_knn_probe(input, refs, ref_labels, observer, &mut seconds).await?)
        }
        _ => None,
    };
    let kmeans = if probes.kmeans {
        Some(kmeans_probe(input, observer, &mut seconds).await?)
    } else {
        None
    };
    let retrieval = if probes.retrieval {
        Some(retrieval_probe(input, observer, &mut seconds).await?)
    } else {
        None
    };
    Ok(Metrics {
        knn,
        random_forest,
        mlp,
        few_label_knn,
        kmeans,
        retrieval,
        knn_confusion,
        seconds,
    })
}

/// Seconds per probe, by probe name.
type ProbeSeconds = BTreeMap<String, f64>;

/// Cross-validated kNN over all the embeddings, and its confusion matrix.
async fn knn_probe(
    input: &EvalInput<'_>,
    observer: &mut impl Observer,
    seconds: &mut ProbeSeconds,
) -> Result<(ProbeScores, Option<Vec<Vec<u32>>>), Interrupt> {
    let (n, labels) = (input.labels.len(), input.labels);
    let start = Instant::now();
    announce_probe(observer, "knn").await?;
    let knn = CrossValKnn::new(
        input.embeddings,
        input.dim,
        labels,
        input.num_classes,
        KNN_K,
        KNN_FOLDS,
        input.seed,
    );
    let mut pred = Vec::with_capacity(n);
    for s in (0..n).step_by(QUERY_CHUNK) {
        pred.extend(knn.predict(s..(s + QUERY_CHUNK).min(n)));
        announce_probe(observer, "knn").await?;
    }
    let scores = ProbeScores::of(labels, &pred);
    let confusion = Some(knn::confusion(labels, &pred, input.num_classes));
    let (label, text) = (ClassifierProbe::Knn.label(), scores_text(&scores));
    probe_done(observer, seconds, "knn", start, label, text).await?;
    Ok((scores, confusion))
}

/// A cross-validated classifier probe (`fit_predict` on the other folds for each fold),
/// announced and timed as `name`.
async fn classifier_probe(
    input: &EvalInput<'_>,
    fold_of: &[usize],
    probe: (ClassifierProbe, &str),
    observer: &mut impl Observer,
    seconds: &mut ProbeSeconds,
    fit_predict: impl Fn(&[f32], &[u8], &[f32], u64) -> Result<Vec<u8>, String>,
) -> Result<ProbeScores, Interrupt> {
    let (kind, name) = probe;
    let start = Instant::now();
    let scores = cross_validated(input, fold_of, name, observer, fit_predict).await?;
    let (label, text) = (kind.label(), scores_text(&scores));
    probe_done(observer, seconds, name, start, label, text).await?;
    Ok(scores)
}

/// kNN from the labelled training images' embeddings (`refs`) only.
async fn few_label_knn_probe(
    input: &EvalInput<'_>,
    refs: &[f32],
    ref_labels: &[u8],
    observer: &mut impl Observer,
    seconds: &mut ProbeSeconds,
) -> Result<ProbeScores, Interrupt> {
    let (n, dim) = (input.labels.len(), input.dim);
    let start = Instant::now();
    let refs = knn::Columns::all(refs, dim);
    let mut pred = Vec::with_capacity(n);
    for s in (0..n).step_by(QUERY_CHUNK) {
        announce_probe(observer, "few_label_knn").await?;
        let queries = &input.embeddings[s * dim..(s + QUERY_CHUNK).min(n) * dim];
        let classes = input.num_classes;
        pred.extend(knn::predict_from(
            &refs, ref_labels, queries, dim, classes, KNN_K,
        ));
    }
    let scores = ProbeScores::of(input.labels, &pred);
    let (label, text) = (ClassifierProbe::FewLabelKnn.label(), scores_text(&scores));
    probe_done(observer, seconds, "few_label_knn", start, label, text).await?;
    Ok(scores)
}

async fn kmeans_probe(
    input: &EvalInput<'_>,
    observer: &mut impl Observer,
    seconds: &mut ProbeSeconds,
) -> Result<ClusterScores, Interrupt> {
    announce_probe(observer, "kmeans").await?;
    let start = Instant::now();
    let scores = clustering::cluster_scores(
        input.embeddings,
        input.dim,
        input.labels,
        input.num_classes,
        input.seed,
    )?;
    let text = scores.text();
    probe_done(observer, seconds, "kmeans", start, KMEANS_LABEL, text).await?;
    Ok(scores)
}

async fn retrieval_probe(
    input: &EvalInput<'_>,
    observer: &mut impl Observer,
    seconds: &mut ProbeSeconds,
) -> Result<RetrievalScores, Interrupt> {
    let (n, dim) = (input.labels.len(), input.dim);
    let start = Instant::now();
    let mut sums = retrieval::RetrievalSums::default();
    let columns = knn::Columns::all(input.embeddings, dim);
    for s in (0..n).step_by(QUERY_CHUNK) {
        announce_probe(observer, "retrieval").await?;
        let queries = s..(s + QUERY_CHUNK).min(n);
        retrieval::add_queries(
            &mut sums,
            &columns,
            input.embeddings,
            dim,
            input.labels,
            queries,
        );
    }
    let scores = sums.scores();
    let text = scores.text();
    probe_done(observer, seconds, "retrieval", start, RETRIEVAL_LABEL, text).await?;
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Silent;

    /// `per` points per class in 3-D, class c around (10c, −10c, 5c) with small offsets.
    fn clusters(per: usize, classes: usize) -> (Vec<f32>, Vec<u8>) {
        let mut emb = Vec::new();
        let mut labels = Vec::new();
        for i in 0..per * classes {
            let c = i % classes;
            let jitter = ((i * 7919) % 101) as f32 / 100.0;
            emb.extend([
                10.0 * c as f32 + jitter,
                -10.0 * c as f32 - jitter,
                5.0 * c as f32,
            ]);
            labels.push(c as u8);
        }
        (emb, labels)
    }

    fn run(input: &EvalInput) -> Metrics {
        pollster::block_on(evaluate(input, Probes::ALL, &mut Silent))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn every_probe_is_perfect_on_separated_clusters() {
        let (emb, labels) = clusters(40, 4);
        let (refs, ref_labels) = clusters(3, 4);
        let m = run(&EvalInput {
            embeddings: &emb,
            dim: 3,
            labels: &labels,
            num_classes: 4,
            labelled: Some((&refs, &ref_labels)),
            seed: 1,
        });
        for name in ClassifierProbe::ALL {
            let s = m.probe(name).unwrap();
            assert_eq!((name, s.accuracy), (name, 1.0));
            assert!((s.ami - 1.0).abs() < 1e-12, "{name:?}: {s:?}");
        }
        let k = m.kmeans.unwrap();
        assert!(
            (k.nmi - 1.0).abs() < 1e-12 && (k.ami - 1.0).abs() < 1e-12,
            "{k:?}"
        );
        let r = m.retrieval.unwrap();
        assert_eq!(
            (r.precision_at_1, r.r_precision, r.map_at_r),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(m.seconds.len(), 6, "{:?}", m.seconds);
    }

    /// Keeps every `ProbeDone` event.
    struct Finished(Vec<(String, String)>);

    impl Observer for Finished {
        async fn on_event(&mut self, event: &TrainEvent) -> Flow {
            if let TrainEvent::ProbeDone { label, result, .. } = event {
                self.0.push((label.clone(), result.clone()));
            }
            Flow::Continue
        }
    }

    #[test]
    fn each_probe_reports_its_scores_as_it_finishes() {
        let (emb, labels) = clusters(40, 4);
        let (refs, ref_labels) = clusters(3, 4);
        let input = EvalInput {
            embeddings: &emb,
            dim: 3,
            labels: &labels,
            num_classes: 4,
            labelled: Some((&refs, &ref_labels)),
            seed: 1,
        };
        let mut seen = Finished(Vec::new());
        let m = pollster::block_on(evaluate(&input, Probes::ALL, &mut seen))
            .unwrap()
            .unwrap();
        let labels: Vec<&str> = seen.0.iter().map(|(l, _)| l.as_str()).collect();
        let mut expected: Vec<&str> = ClassifierProbe::ALL.iter().map(|p| p.label()).collect();
        expected.extend([KMEANS_LABEL, RETRIEVAL_LABEL]);
        assert_eq!(labels, expected);
        assert_eq!(seen.0[0].1, "accuracy 1.0000, AMI 1.0000");
        assert_eq!(seen.0[4].1, m.kmeans.unwrap().text());
        assert_eq!(seen.0[5].1, "P@1 1.0000, R-precision 1.0000, MAP@R 1.0000");
        // Only the probes that run report.
        let mut seen = Finished(Vec::new());
        pollster::block_on(evaluate(&input, Probes::KNN_ONLY, &mut seen)).unwrap();
        assert_eq!(seen.0.len(), 1);
    }

    #[test]
    fn random_labels_score_chance() {
        use rand::{rngs::StdRng, RngExt, SeedableRng};
        let mut rng = StdRng::seed_from_u64(5);
        let emb: Vec<f32> = (0..1500).map(|_| rng.random::<f32>()).collect();
        let labels: Vec<u8> = (0..500).map(|_| rng.random_range(0..5u8)).collect();
        let ref_labels: Vec<u8> = (0..20).map(|_| rng.random_range(0..5u8)).collect();
        let m = run(&EvalInput {
            embeddings: &emb,
            dim: 3,
            labels: &labels,
            num_classes: 5,
            labelled: Some((&emb[..60], &ref_labels)),
            seed: 2,
        });
        for name in ClassifierProbe::ALL {
            let s = m.probe(name).unwrap();
            assert!(s.accuracy < 0.32 && s.ami.abs() < 0.05, "{name:?}: {s:?}");
        }
        let k = m.kmeans.unwrap();
        assert!(k.ami.abs() < 0.05, "{k:?}");
        let r = m.retrieval.unwrap();
        assert!(r.precision_at_1 < 0.32 && r.map_at_r < 0.2, "{r:?}");
    }

    #[test]
    fn probe_lists_parse_and_unknown_names_are_refused() {
        assert_eq!(Probes::parse("all").unwrap(), Probes::ALL);
        assert_eq!(Probes::parse("knn").unwrap(), Probes::KNN_ONLY);
        let p = Probes::parse("knn, mlp,retrieval").unwrap();
        assert!(p.mlp && p.retrieval && !p.random_forest);
        let e = Probes::parse("knn,svm").unwrap_err();
        assert!(e.contains("unknown probe 'svm'"), "{e}");
    }
}
