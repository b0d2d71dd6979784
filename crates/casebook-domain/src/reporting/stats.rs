//! The figures of a dashboard: percentiles by nearest rank (every figure shown is one that was
//! measured, so a hand count agrees with it) and SLA attainment.

/// The `p`-th percentile (1–100) of `values` by nearest rank: the smallest value that at least
/// `p` % of the values do not exceed. `None` for no values.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = (n * p.clamp(1, 100) as usize).div_ceil(100).max(1);
    Some(values[rank - 1])
}

/// Met, breached and running clocks of one metric and month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attainment {
    /// Ended within their target.
    pub met: i64,
    /// Past their target, ended or not.
    pub breached: i64,
    /// Still running (or paused) within their target.
    pub running: i64,
}

impl Attainment {
    /// The share of decided clocks that met their target, in percent with one decimal;
    /// `None` while none is decided.
    pub fn percent(&self) -> Option<f64> {
        let decided = self.met + self.breached;
        (decided > 0).then(|| one_decimal(self.met as f64 * 100.0 / decided as f64))
    }
}

/// A number rounded to one decimal.
pub fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Seconds as whole minutes, rounded half up.
pub fn minutes(seconds: i64) -> i64 {
    (seconds + 30).div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [7], 90), Some(7));
        assert_eq!(percentile(&mut [40, 10, 30, 20], 50), Some(20));
        assert_eq!(percentile(&mut [40, 10, 30, 20], 90), Some(40));
        let mut hundred: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut hundred, 90), Some(90));
        assert_eq!(percentile(&mut hundred, 50), Some(50));
        assert_eq!(percentile(&mut [1, 2, 3], 50), Some(2));
    }

    #[test]
    fn attainment_counts_decided_clocks_only() {
        let a = Attainment {
            met: 2,
            breached: 1,
            running: 5,
        };
        assert_eq!(a.percent(), Some(66.7));
        assert_eq!(Attainment::default().percent(), None);
        assert_eq!(minutes(89), 1);
        assert_eq!(minutes(90), 2);
    }
}
