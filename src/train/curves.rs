//! Loss curves as plain data: one series of (step, value) per named loss term.

use serde::{Deserialize, Serialize};

use super::events::Terms;

/// Named series that grow step by step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Curves {
    /// Appends each term's value at `step`, creating series for new names.
    pub fn push(&mut self, step: f64, terms: &Terms) {
        for (name, value) in terms {
            match self.series.iter_mut().find(|(n, _)| n == name) {
                Some((_, points)) => points.push((step, *value)),
                None => self.series.push((name.clone(), vec![(step, *value)])),
            }
        }
    }

    /// Steps recorded in the longest series.
    pub fn len(&self) -> usize {
        self.series.iter().map(|(_, p)| p.len()).max().unwrap_or(0)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same curves with at most `max_points` points per series (evenly thinned).
    pub fn thinned(&self, max_points: usize) -> Curves {
        let stride = self.len().div_ceil(max_points.max(1)).max(1);
        Curves {
            series: self
                .series
                .iter()
                .map(|(n, p)| (n.clone(), p.iter().step_by(stride).copied().collect()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_created_by_name_and_thinned_evenly() {
        let mut c = Curves::default();
        for step in 1..=10 {
            c.push(
                step as f64,
                &vec![("a".into(), step as f64), ("b".into(), 0.5)],
            );
        }
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.len(), 10);
        let t = c.thinned(5);
        assert_eq!(
            t.series[0].1,
            vec![(1.0, 1.0), (3.0, 3.0), (5.0, 5.0), (7.0, 7.0), (9.0, 9.0)]
        );
    }
}
