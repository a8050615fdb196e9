//! Mutual-information scores between two labelings, equal to scikit-learn's
//! `mutual_info_score`, `normalized_mutual_info_score` and `adjusted_mutual_info_score`
//! (arithmetic average), special cases included. Checked against fixtures made by
//! `tests/fixtures/make_mutual_info_fixtures.py`.

use std::collections::BTreeMap;

/// Contingency counts of two labelings: `table[i][j]` = items with true class i and predicted j.
struct Contingency {
    table: Vec<Vec<u64>>,
    rows: Vec<u64>,
    cols: Vec<u64>,
    n: u64,
}

fn relabel<T: Ord + Copy>(labels: &[T]) -> (Vec<usize>, usize) {
    let mut ids = BTreeMap::new();
    for &l in labels {
        let next = ids.len();
        ids.entry(l).or_insert(next);
    }
    // Sorted order, as numpy.unique gives.
    let order: BTreeMap<T, usize> = ids.keys().enumerate().map(|(i, &k)| (k, i)).collect();
    (labels.iter().map(|l| order[l]).collect(), order.len())
}

fn contingency<T: Ord + Copy>(truth: &[T], pred: &[T]) -> Contingency {
    assert_eq!(
        truth.len(),
        pred.len(),
        "labelings must have the same length"
    );
    let (t, nt) = relabel(truth);
    let (p, np) = relabel(pred);
    let mut table = vec![vec![0u64; np]; nt];
    for (&i, &j) in t.iter().zip(&p) {
        table[i][j] += 1;
    }
    let rows = table.iter().map(|r| r.iter().sum()).collect();
    let cols = (0..np).map(|j| table.iter().map(|r| r[j]).sum()).collect();
    Contingency {
        table,
        rows,
        cols,
        n: truth.len() as u64,
    }
}

/// Shannon entropy (nats) of a labeling, as `sklearn.metrics.cluster.entropy`.
pub fn entropy<T: Ord + Copy>(labels: &[T]) -> f64 {
    if labels.is_empty() {
        return 1.0;
    }
    let (ids, k) = relabel(labels);
    let mut counts = vec![0u64; k];
    ids.iter().for_each(|&i| counts[i] += 1);
    entropy_of_counts(&counts)
}

fn entropy_of_counts(counts: &[u64]) -> f64 {
    let counts: Vec<f64> = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64)
        .collect();
    if counts.len() == 1 {
        return 0.0;
    }
    let sum: f64 = counts.iter().sum();
    -counts
        .iter()
        .map(|&c| (c / sum) * (c.ln() - sum.ln()))
        .sum::<f64>()
}

fn mutual_info(c: &Contingency) -> f64 {
    if c.rows.len() == 1 || c.cols.len() == 1 {
        return 0.0;
    }
    let total = c.n as f64;
    let (log_pi_sum, log_pj_sum) = (total.ln(), total.ln());
    let mut mi = 0.0;
    for (i, row) in c.table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij == 0 {
                continue;
            }
            let nm = nij as f64 / total;
            let outer = (c.rows[i] * c.cols[j]) as f64;
            let log_outer = -outer.ln() + log_pi_sum + log_pj_sum;
            let term = nm * ((nij as f64).ln() - total.ln()) + nm * log_outer;
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
    }
    mi.max(0.0)
}

/// Mutual information (nats) between two labelings.
pub fn mutual_info_score<T: Ord + Copy>(truth: &[T], pred: &[T]) -> f64 {
    mutual_info(&contingency(truth, pred))
}

/// Expected mutual information of two random labelings with the same cluster sizes.
fn expected_mutual_info(c: &Contingency) -> f64 {
    if c.rows.len() == 1 || c.cols.len() == 1 {
        return 0.0;
    }
    let n = c.n as i64;
    let nf = n as f64;
    let lg = |x: f64| libm::lgamma(x);
    let gln_n = lg(nf + 1.0);
    let mut emi = 0.0;
    for &a in &c.rows {
        let a = a as i64;
        let (af, gln_a, gln_na) = (a as f64, lg(a as f64 + 1.0), lg((n - a) as f64 + 1.0));
        for &b in &c.cols {
            let b = b as i64;
            let (bf, gln_b, gln_nb) = (b as f64, lg(b as f64 + 1.0), lg((n - b) as f64 + 1.0));
            let start = 1.max(a - n + b);
            let end = a.min(b);
            for nij in start..=end {
                let nijf = nij as f64;
                let term1 = nijf / nf;
                let term2 = (nf.ln() + nijf.ln()) - af.ln() - bf.ln();
                let gln = gln_a + gln_b + gln_na + gln_nb
                    - (lg(nijf + 1.0) + gln_n)
                    - lg((a - nij) as f64 + 1.0)
                    - lg((b - nij) as f64 + 1.0)
                    - lg((n - a - b + nij) as f64 + 1.0);
                emi += term1 * term2 * gln.exp();
            }
        }
    }
    emi
}

fn single_or_empty(c: &Contingency) -> bool {
    (c.rows.len() == 1 && c.cols.len() == 1) || (c.rows.is_empty() && c.cols.is_empty())
}

/// Adjusted mutual information with the arithmetic mean of the entropies as normaliser.
pub fn adjusted_mutual_info<T: Ord + Copy>(truth: &[T], pred: &[T]) -> f64 {
    let c = contingency(truth, pred);
    if single_or_empty(&c) {
        return 1.0;
    }
    let mi = mutual_info(&c);
    let emi = expected_mutual_info(&c);
    let normalizer = (entropy_of_counts(&c.rows) + entropy_of_counts(&c.cols)) / 2.0;
    // When the expected MI reaches the normaliser (e.g. both labelings all singletons: every
    // labeling with these cluster sizes agrees equally), AMI is 0/0; scikit-learn's answer then
    // depends on rounding. Defined here as 0: no agreement beyond what chance gives.
    if (normalizer - emi).abs() <= 1e-12 * normalizer.max(1.0) {
        return 0.0;
    }
    let mut denominator = normalizer - emi;
    denominator = if denominator < 0.0 {
        denominator.min(-f64::EPSILON)
    } else {
        denominator.max(f64::EPSILON)
    };
    (mi - emi) / denominator
}

/// Normalised mutual information with the arithmetic mean of the entropies as normaliser.
pub fn normalized_mutual_info<T: Ord + Copy>(truth: &[T], pred: &[T]) -> f64 {
    let c = contingency(truth, pred);
    if single_or_empty(&c) {
        return 1.0;
    }
    let mi = mutual_info(&c);
    if mi == 0.0 {
        return 0.0;
    }
    mi / ((entropy_of_counts(&c.rows) + entropy_of_counts(&c.cols)) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        truth: Vec<i64>,
        pred: Vec<i64>,
        mi: f64,
        nmi: f64,
        ami: f64,
    }

    #[test]
    fn the_issue_example() {
        let ami = adjusted_mutual_info(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 1]);
        assert!((ami - 0.2987924581708903).abs() < 1e-12, "{ami}");
    }

    #[test]
    fn equals_scikit_learn_on_fixtures() {
        let text = include_str!("../../tests/fixtures/mutual_info.json");
        let cases: Vec<Case> = serde_json::from_str(text).unwrap();
        assert!(cases.len() >= 10);
        for (k, c) in cases.iter().enumerate() {
            let (mi, nmi, ami) = (
                mutual_info_score(&c.truth, &c.pred),
                normalized_mutual_info(&c.truth, &c.pred),
                adjusted_mutual_info(&c.truth, &c.pred),
            );
            assert!((mi - c.mi).abs() < 1e-9, "case {k}: mi {mi} vs {}", c.mi);
            assert!(
                (nmi - c.nmi).abs() < 1e-9,
                "case {k}: nmi {nmi} vs {}",
                c.nmi
            );
            assert!(
                (ami - c.ami).abs() < 1e-9,
                "case {k}: ami {ami} vs {}",
                c.ami
            );
        }
    }

    #[test]
    fn degenerate_cases() {
        assert_eq!(adjusted_mutual_info(&[1, 1, 1], &[2, 2, 2]), 1.0);
        assert_eq!(adjusted_mutual_info::<u8>(&[], &[]), 1.0);
        assert_eq!(normalized_mutual_info(&[0, 0, 0], &[0, 1, 2]), 0.0);
        assert_eq!(adjusted_mutual_info(&[0, 0, 0], &[0, 1, 2]), 0.0);
        // All singletons: the expected MI equals the normaliser (0/0), defined as exactly 0
        // for every size (scikit-learn's value there is rounding noise divided by ε).
        for n in [2u8, 3, 4, 7, 10, 50, 200] {
            let ids: Vec<u8> = (0..n).collect();
            let reversed: Vec<u8> = ids.iter().rev().copied().collect();
            assert_eq!(adjusted_mutual_info(&ids, &reversed), 0.0, "n = {n}");
            assert_eq!(adjusted_mutual_info(&ids, &ids), 0.0, "n = {n}");
        }
        assert!((normalized_mutual_info(&[0, 1, 2, 3], &[3, 2, 1, 0]) - 1.0).abs() < 1e-12);
        assert!((entropy(&[0, 1]) - std::f64::consts::LN_2).abs() < 1e-15);
    }
}
