//! Cascade variants: block size per pass, number of passes, and the public shuffles both parties derive.

use serde::{Deserialize, Serialize};

/// Largest pass index a session may use (Alice rejects queries beyond it).
pub(crate) const MAX_PASSES: usize = 128;

/// A Cascade variant of Martinez-Mateo et al., QIC 15, 453 (2015), arXiv:1407.3257 (block sizes in
/// `../shared/science/qkd.md` §3), with Q the error-rate estimate and n the frame length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Brassard–Salvail (Eurocrypt 1993): 4 passes, k₁ = ⌈0.73/Q⌉, kᵢ = 2kᵢ₋₁.
    Original,
    /// Modification 1 (Buttler et al. 2003): 2 passes, k₁ = ⌈0.92/Q⌉, k₂ = 3k₁, then BICONF rounds — the parity
    /// of a random half of the frame (its complement's parity is inferred) with Binary and the cascade effect on
    /// a mismatch — until [`BICONF_CLEAN_ROUNDS`] consecutive rounds show no mismatch.
    Biconf,
    /// Modification 2 (Yan et al. 2008): 10 passes, k₁ = ⌈0.8/Q⌉, k₂ = 5k₁, kᵢ = ⌈n/2⌉ for i ≥ 3.
    YanEtAl,
    /// Option 3 of the paper: 16 passes, k₁ = ⌈1/Q⌉, k₂ = 2k₁, kᵢ = ⌈n/2⌉ for i ≥ 3.
    Option3,
    /// This crate's best setting, built from the paper's optimisations (see the module docs of
    /// [`crate::protocol::reconcile`]): block sizes powers of two, reuse of every sub-block parity already
    /// disclosed, inference of one block parity per pass, ⌈n/2⌉ passes until several consecutive clean ones.
    Best,
}

/// Consecutive clean BICONF rounds after which [`Variant::Biconf`] stops (residual-error probability per
/// remaining odd error pattern ≤ 2⁻¹⁰).
pub const BICONF_CLEAN_ROUNDS: u32 = 10;

/// In [`Variant::Best`], a Binary search waits while its interval is more than this many times the smallest
/// interval being searched (cascade-effect ordering).
pub const BEST_DEFER_FACTOR: usize = 32;

/// Consecutive clean ⌈n/2⌉ passes after which [`Variant::Best`] stops.
pub const BEST_CLEAN_ROUNDS: u32 = 16;

impl Variant {
    /// Every variant, in the order of the paper's table.
    pub const ALL: [Variant; 5] =
        [Variant::Original, Variant::Biconf, Variant::YanEtAl, Variant::Option3, Variant::Best];

    /// The name used on the command line and in bench ids.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Biconf => "biconf",
            Variant::YanEtAl => "yanetal",
            Variant::Option3 => "option3",
            Variant::Best => "best",
        }
    }

    /// The variant called `name` (as [`Variant::name`] spells it).
    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// Block sizes and stopping rule for one frame.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    /// Block sizes of the fixed passes.
    fixed: Vec<usize>,
    /// Block size of the passes after the fixed ones, if any.
    tail: Option<usize>,
    /// Maximum number of passes.
    pub(crate) max_passes: usize,
    /// Stop once this many consecutive tail passes found no odd block.
    pub(crate) stop_after_clean: Option<u32>,
    /// Infer the parity of the last block of every pass after the first (paper: one block parity per pass is
    /// implied by the frame parity, known from pass 1).
    pub(crate) infer_last_block: bool,
    /// Reuse sub-block parities disclosed earlier instead of asking again.
    pub(crate) reuse_subblocks: bool,
    /// Searches whose interval exceeds this multiple of the smallest active one wait (usize::MAX: all run
    /// in parallel).
    pub(crate) defer_factor: usize,
}

impl Schedule {
    /// The schedule of `variant` for `n` bits at error-rate estimate `q` (0 < q < 0.5, n ≥ 1).
    pub(crate) fn new(variant: Variant, n: usize, q: f64) -> Schedule {
        let half = n.div_ceil(2).max(1);
        let clamp = |k: f64| -> usize {
            // k is finite and positive for 0 < q < 0.5; the cast saturates and the clamp bounds it.
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped below")]
            let k = k.ceil() as usize;
            k.clamp(1, half)
        };
        let (fixed, tail, max_passes, stop_after_clean, infer, reuse) = match variant {
            Variant::Original => {
                let k1 = clamp(0.73 / q);
                (
                    vec![k1, clamp(2.0 * k1 as f64), clamp(4.0 * k1 as f64), clamp(8.0 * k1 as f64)],
                    None,
                    4,
                    None,
                    false,
                    false,
                )
            }
            Variant::Biconf => {
                let k1 = clamp(0.92 / q);
                (
                    vec![k1, clamp(3.0 * k1 as f64)],
                    Some(half),
                    MAX_PASSES,
                    Some(BICONF_CLEAN_ROUNDS),
                    true,
                    false,
                )
            }
            Variant::YanEtAl => {
                let k1 = clamp(0.8 / q);
                (vec![k1, clamp(5.0 * k1 as f64)], Some(half), 10, None, false, false)
            }
            Variant::Option3 => {
                let k1 = clamp(1.0 / q);
                (vec![k1, clamp(2.0 * k1 as f64)], Some(half), 16, None, false, false)
            }
            Variant::Best => {
                // Largest power of two ≤ 1.3/Q; the product is finite, positive and clamped.
                let k1 = clamp(2f64.powf((1.3 / q).log2().floor()));
                let k2 = clamp((2 * k1).max(128) as f64);
                (vec![k1, k2], Some(half), MAX_PASSES, Some(BEST_CLEAN_ROUNDS), true, true)
            }
        };
        let defer_factor = if variant == Variant::Best { BEST_DEFER_FACTOR } else { usize::MAX };
        Schedule {
            defer_factor,
            fixed,
            tail,
            max_passes,
            stop_after_clean,
            infer_last_block: infer,
            reuse_subblocks: reuse,
        }
    }

    /// Block size of pass `p` (0-based), or `None` past the last pass.
    pub(crate) fn block_size(&self, p: usize) -> Option<usize> {
        if p >= self.max_passes {
            return None;
        }
        self.fixed.get(p).copied().or(self.tail)
    }

    /// Whether pass `p` belongs to the tail (counts towards the clean-pass stopping rule).
    pub(crate) fn is_tail(&self, p: usize) -> bool {
        p >= self.fixed.len()
    }
}

/// The public permutation of pass `pass`: `perm[j]` is the key position at shuffled index `j`.
///
/// Pass 0 is the identity, as in Brassard–Salvail (the sifted key's errors are already in random order; a
/// link with bursty errors should permute the key before reconciliation). Later passes: Fisher–Yates driven by
/// SplitMix64 (Steele, Lea & Flood 2014) keyed with (`seed`, `pass`), index j drawn as ⌊r·(i+1)/2³²⌋ from a
/// 32-bit half r of a SplitMix word (Lemire's multiply-shift, bias ≤ n/2³²). The shuffles are public, so they need
/// statistical, not cryptographic, quality; the algorithm is fixed here so both parties (and any other
/// implementation) derive the same permutation.
pub(crate) fn permutation(n: usize, seed: u64, pass: usize) -> Vec<u32> {
    // Frames are at most u32::MAX bits (checked where sessions are opened).
    #[expect(clippy::cast_possible_truncation, reason = "n ≤ u32::MAX")]
    let mut perm: Vec<u32> = (0..n as u32).collect();
    if pass == 0 {
        return perm;
    }
    let mut state = super::splitmix(seed ^ super::splitmix(pass as u64 ^ 0x0063_6173_6361_6465));
    let mut spare: Option<u32> = None;
    for i in (1..n).rev() {
        // Each 64-bit SplitMix word gives two 32-bit draws.
        let r = match spare.take() {
            Some(r) => r,
            None => {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let w = super::splitmix(state);
                spare = Some((w >> 32) as u32);
                w as u32
            }
        };
        // i + 1 ≤ n ≤ u32::MAX, so the product's high word is ≤ i.
        let j = ((u64::from(r) * (i as u64 + 1)) >> 32) as usize;
        perm.swap(i, j);
    }
    perm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_deterministic_bijections() {
        let p = permutation(1000, 7, 3);
        assert_eq!(p, permutation(1000, 7, 3));
        assert_ne!(p, permutation(1000, 7, 4));
        assert_ne!(p, permutation(1000, 8, 3));
        assert_eq!(permutation(10, 8, 0), (0..10).collect::<Vec<u32>>());
        let mut seen = vec![false; 1000];
        for &x in &p {
            assert!(!std::mem::replace(&mut seen[x as usize], true));
        }
    }

    #[test]
    fn block_sizes_follow_the_paper() {
        let s = Schedule::new(Variant::Original, 10_000, 0.03);
        assert_eq!(
            (0..5).map(|p| s.block_size(p)).collect::<Vec<_>>(),
            [Some(25), Some(50), Some(100), Some(200), None]
        );
        let s = Schedule::new(Variant::YanEtAl, 10_000, 0.02);
        assert_eq!(
            (s.block_size(0), s.block_size(1), s.block_size(2), s.block_size(9), s.block_size(10)),
            (Some(40), Some(200), Some(5000), Some(5000), None)
        );
        let s = Schedule::new(Variant::Option3, 10_001, 0.05);
        assert_eq!(
            (s.block_size(0), s.block_size(1), s.block_size(15), s.block_size(16)),
            (Some(20), Some(40), Some(5001), None)
        );
        // Tiny frames: never a block larger than half the frame, never zero.
        let s = Schedule::new(Variant::Original, 3, 0.01);
        assert_eq!(s.block_size(0), Some(2));
        for v in Variant::ALL {
            assert_eq!(Variant::from_name(v.name()), Some(v));
        }
    }
}
