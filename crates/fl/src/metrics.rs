//! Evaluation metrics: accuracy, log-loss, ROC AUC, confusion matrix, expected calibration error.

use ndarray::{Array2, Axis};
use quantumacy_data::Dataset;
use serde::Serialize;

use crate::error::Result;
use crate::model::{Model, argmax_rows};
use crate::train::check_data;

/// Probabilities are clamped to `[P_MIN, 1 − P_MIN]` in the log-loss, as scikit-learn does (its `eps`).
const P_MIN: f64 = 1e-15;
/// Equal-width confidence bins for the ECE (Guo et al. 2017 use 15; Naeini et al. 2015 use 10).
pub const ECE_BINS: usize = 15;

/// A model's scores on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Examples evaluated.
    pub examples: usize,
    /// Fraction predicted correctly.
    pub accuracy: f64,
    /// Mean negative log-likelihood (no regulariser).
    pub log_loss: f64,
    /// ROC AUC of the positive-class score (binary problems with both classes present); else `None`.
    pub auc: Option<f64>,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// Expected calibration error of the top-class confidence, [`ECE_BINS`] bins.
    pub ece: f64,
}

/// Evaluates `params` on `data`.
///
/// # Errors
/// [`crate::Error::Shape`] if `data` does not fit `model` or is empty.
pub fn evaluate(model: &Model, params: &[f64], data: &Dataset) -> Result<Evaluation> {
    check_data(model, data)?;
    let proba = model.predict_proba(params, data.features().view());
    Ok(scores(&proba, data.labels()))
}

/// All metrics from an `n × k` probability matrix and labels.
pub(crate) fn scores(proba: &Array2<f64>, labels: &[u8]) -> Evaluation {
    let pred = argmax_rows(proba);
    let k = proba.ncols();
    let mut confusion = vec![vec![0; k]; k];
    for (&t, &p) in labels.iter().zip(&pred) {
        confusion[usize::from(t)][usize::from(p)] += 1;
    }
    let log_loss = proba
        .axis_iter(Axis(0))
        .zip(labels)
        .map(|(row, &y)| -row[usize::from(y)].clamp(P_MIN, 1.0 - P_MIN).ln())
        .sum::<f64>()
        / labels.len() as f64;
    let auc = if k == 2 { roc_auc(labels, &proba.column(1).to_vec()) } else { None };
    let confidence: Vec<f64> = proba.axis_iter(Axis(0)).map(|r| r.fold(0.0, |a: f64, &b| a.max(b))).collect();
    Evaluation {
        examples: labels.len(),
        accuracy: accuracy(labels, &pred),
        log_loss,
        auc,
        confusion,
        ece: expected_calibration_error(&confidence, &pred, labels, ECE_BINS),
    }
}

/// Fraction of positions where `truth` and `predicted` agree (0 for empty input).
pub fn accuracy(truth: &[u8], predicted: &[u8]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    truth.iter().zip(predicted).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
}

/// ROC AUC of `score` for label 1 against label 0: the Mann–Whitney statistic
/// `U / (n₊ n₋)` with mid-ranks for ties (Hanley & McNeil, Radiology 143:29, 1982, eq. 2).
/// `None` if either class is absent.
pub fn roc_auc(labels: &[u8], score: &[f64]) -> Option<f64> {
    let n_pos = labels.iter().filter(|&&l| l == 1).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && score[order[j + 1]] == score[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0; // 1-based average rank of the tie block
        rank_sum_pos += mid_rank * order[i..=j].iter().filter(|&&r| labels[r] == 1).count() as f64;
        i = j + 1;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * q))
}

/// Expected calibration error (Guo et al., ICML 2017, eq. 3): `Σ_b (|B_b|/n) |acc(B_b) − conf(B_b)|` over
/// `bins` equal-width confidence bins `((b−1)/M, b/M]`.
pub fn expected_calibration_error(confidence: &[f64], predicted: &[u8], truth: &[u8], bins: usize) -> f64 {
    if truth.is_empty() || bins == 0 {
        return 0.0;
    }
    let mut count = vec![0usize; bins];
    let mut correct = vec![0.0; bins];
    let mut conf = vec![0.0; bins];
    for ((&c, &p), &t) in confidence.iter().zip(predicted).zip(truth) {
        let b = ((c * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        count[b] += 1;
        correct[b] += f64::from(u8::from(p == t));
        conf[b] += c;
    }
    let n = truth.len() as f64;
    (0..bins).filter(|&b| count[b] > 0).map(|b| (correct[b] - conf[b]).abs() / n).sum()
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn auc_matches_hand_computed_values() {
        // Perfect ranking, reversed ranking, and one tie across classes.
        assert_eq!(roc_auc(&[0, 0, 1, 1], &[0.1, 0.2, 0.8, 0.9]), Some(1.0));
        assert_eq!(roc_auc(&[1, 1, 0, 0], &[0.1, 0.2, 0.8, 0.9]), Some(0.0));
        // pairs (pos, neg): (0.5 vs 0.5) = ½, (0.5 vs 0.1) = 1, (0.9 vs both) = 2 → 3.5 / 4.
        assert_eq!(roc_auc(&[1, 0, 1, 0], &[0.5, 0.5, 0.9, 0.1]), Some(0.875));
        assert_eq!(roc_auc(&[1, 1], &[0.5, 0.6]), None);
    }

    #[test]
    fn scores_count_and_calibrate() {
        let p = array![[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]];
        let e = scores(&p, &[0, 1, 1, 0]);
        assert_eq!(e.accuracy, 0.5);
        assert_eq!(e.confusion, vec![vec![1, 1], vec![1, 1]]);
        let ll = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.3f64.ln()) / 4.0;
        assert!((e.log_loss - ll).abs() < 1e-15);
        // Bins of width 1/15: confidences 0.9, 0.8, 0.6, 0.7 fall in separate bins; |acc − conf| each.
        let ece = ((1.0 - 0.9) + (1.0 - 0.8) + 0.6 + 0.7) / 4.0;
        assert!((e.ece - ece).abs() < 1e-15, "{}", e.ece);
        assert_eq!(accuracy(&[], &[]), 0.0);
    }
}
