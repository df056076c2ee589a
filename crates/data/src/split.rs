//! Deterministic train/test splits: stratified by label, or by group (subject) so no group straddles the split.
//!
//! The test-set size follows scikit-learn's `train_test_split`: `ceil(test_fraction · n)` rows (or groups), shared
//! among classes in proportion to their size with the remainder going to the largest fractional parts — so the
//! WDBC 80/20 split has 114 test rows, as in the FL reference setup. The shuffle is ChaCha8 seeded with `seed`,
//! so the same seed gives the same split on every platform (it is not scikit-learn's permutation).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Row indices of a train/test split, each list sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Splits rows so that each class keeps its share in both parts.
///
/// # Errors
/// [`Error::InvalidSplit`] if `test_fraction` is not in (0, 1) or either part would be empty.
pub fn stratified_split(labels: &[u8], test_fraction: f64, seed: u64) -> Result<Split> {
    let units: Vec<(u8, Vec<usize>)> = labels.iter().enumerate().map(|(i, &l)| (l, vec![i])).collect();
    split_units(units, test_fraction, seed, "rows")
}

/// Splits whole groups (e.g. subjects): every row of a group lands on the same side. Groups are stratified by
/// their majority label (ties to the smaller label).
///
/// # Errors
/// [`Error::InvalidSplit`] if `groups` and `labels` differ in length, `test_fraction` is not in (0, 1), or either
/// part would be empty.
pub fn group_split(groups: &[u32], labels: &[u8], test_fraction: f64, seed: u64) -> Result<Split> {
    if groups.len() != labels.len() {
        return Err(invalid(format!("{} group ids for {} labels", groups.len(), labels.len())));
    }
    let mut members: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let units = members
        .into_values()
        .map(|rows| {
            let mut counts = [0usize; 256];
            for &r in &rows {
                counts[usize::from(labels[r])] += 1;
            }
            let majority = (0..=u8::MAX).rev().max_by_key(|&l| counts[usize::from(l)]).unwrap_or(0);
            (majority, rows)
        })
        .collect();
    split_units(units, test_fraction, seed, "groups")
}

/// The shared core: `units` are (stratum, rows) pairs that must stay together.
fn split_units(units: Vec<(u8, Vec<usize>)>, test_fraction: f64, seed: u64, kind: &str) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(invalid(format!("test fraction {test_fraction} is not strictly between 0 and 1")));
    }
    let n = units.len();
    let n_test = (test_fraction * n as f64).ceil() as usize;
    if n < 2 || n_test >= n {
        return Err(invalid(format!("{n} {kind} cannot be split with test fraction {test_fraction}")));
    }
    let mut strata: BTreeMap<u8, Vec<Vec<usize>>> = BTreeMap::new();
    for (label, rows) in units {
        strata.entry(label).or_default().push(rows);
    }
    // Proportional allocation by largest remainder (scikit-learn's `_approximate_mode`, ties by label).
    let mut alloc: Vec<(u8, usize, f64)> = strata
        .iter()
        .map(|(&l, u)| {
            let exact = u.len() as f64 * n_test as f64 / n as f64;
            (l, exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut remaining = n_test - alloc.iter().map(|a| a.1).sum::<usize>();
    let mut by_remainder: Vec<usize> = (0..alloc.len()).collect();
    by_remainder.sort_by(|&a, &b| alloc[b].2.total_cmp(&alloc[a].2).then(alloc[a].0.cmp(&alloc[b].0)));
    for &k in by_remainder.iter().cycle().take(alloc.len() * 2) {
        if remaining == 0 {
            break;
        }
        if alloc[k].1 < strata[&alloc[k].0].len() {
            alloc[k].1 += 1;
            remaining -= 1;
        }
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (label, take) in alloc.iter().map(|a| (a.0, a.1)) {
        let mut stratum = strata.remove(&label).unwrap_or_default();
        stratum.shuffle(&mut rng);
        for (k, rows) in stratum.into_iter().enumerate() {
            if k < take { test.extend(rows) } else { train.extend(rows) }
        }
    }
    if train.is_empty() || test.is_empty() {
        return Err(invalid(format!("split of {n} {kind} leaves one side empty")));
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

fn invalid(detail: String) -> Error {
    Error::InvalidSplit { detail }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn stratified_split_matches_scikit_learn_sizes() {
        // WDBC: 357 benign, 212 malignant; sklearn's 80/20 stratified split has 114 test rows (72 B + 42 M).
        let labels: Vec<u8> = [vec![0u8; 357], vec![1u8; 212]].concat();
        let s = stratified_split(&labels, 0.2, 42).unwrap();
        assert_eq!(s.test.len(), 114);
        let test_m = s.test.iter().filter(|&&i| labels[i] == 1).count();
        assert_eq!((s.test.len() - test_m, test_m), (72, 42));
    }

    #[test]
    fn same_seed_same_split_other_seed_other_split() {
        let labels: Vec<u8> = (0..200).map(|i| (i % 3) as u8).collect();
        let a = stratified_split(&labels, 0.25, 7).unwrap();
        assert_eq!(a, stratified_split(&labels, 0.25, 7).unwrap());
        assert_ne!(a, stratified_split(&labels, 0.25, 8).unwrap());
    }

    #[test]
    fn group_split_never_separates_a_group() {
        let groups: Vec<u32> = (0..60).map(|i| i / 6).collect();
        let labels: Vec<u8> = groups.iter().map(|&g| u8::from(g % 4 != 0)).collect();
        let s = group_split(&groups, &labels, 0.2, 1).unwrap();
        for g in 0..10 {
            let in_test = s.test.iter().filter(|&&i| groups[i] == g).count();
            assert!(in_test == 0 || in_test == 6, "group {g} split {in_test}/6");
        }
        assert_eq!(s.test.len(), 12);
        let test_groups_label0 = s.test.iter().filter(|&&i| labels[i] == 0).count() / 6;
        assert_eq!(test_groups_label0, 1, "stratified by group label");
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let labels = [0u8, 1, 0, 1];
        for f in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(matches!(stratified_split(&labels, f, 0), Err(Error::InvalidSplit { .. })), "{f}");
        }
        assert!(matches!(stratified_split(&[0], 0.5, 0), Err(Error::InvalidSplit { .. })));
        assert!(matches!(stratified_split(&[], 0.5, 0), Err(Error::InvalidSplit { .. })));
        assert!(matches!(group_split(&[1, 2], &[0], 0.5, 0), Err(Error::InvalidSplit { .. })));
        assert!(matches!(group_split(&[1, 1, 1], &[0, 1, 0], 0.5, 0), Err(Error::InvalidSplit { .. })));
    }

    proptest! {
        #[test]
        fn split_is_a_partition_with_the_ceiling_test_size(
            labels in proptest::collection::vec(0u8..4, 2..300),
            frac in 0.01f64..0.99,
            seed in any::<u64>(),
        ) {
            let n_test = (frac * labels.len() as f64).ceil() as usize;
            prop_assume!(n_test < labels.len());
            let s = stratified_split(&labels, frac, seed).unwrap();
            prop_assert_eq!(s.test.len(), n_test);
            let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
            // Each class's test share is within one row of proportional.
            for c in 0..4u8 {
                let n_c = labels.iter().filter(|&&l| l == c).count() as f64;
                let t_c = s.test.iter().filter(|&&i| labels[i] == c).count() as f64;
                prop_assert!((t_c - n_c * n_test as f64 / labels.len() as f64).abs() < 1.0 + 1e-9);
            }
        }
    }
}
