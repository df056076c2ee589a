//! The portable backend: a Toeplitz product as a number-theoretic middle product, one bit per coefficient.
//!
//! For the rows × cols matrix T_ij = t\[i − j + cols − 1\], y_i = Σ_j t\[i − j + cols − 1\] x_j is entry
//! i + cols − 1 of the linear convolution t ∗ x. Every entry is an integer ≤ cols, so it is exact modulo the prime
//! p = 45·2²⁴ + 1 and its parity is y_i. A negacyclic NTT of size N ≥ rows + cols − 1 computes the convolution
//! with wrapped terms landing below index cols − 1, so the entries read are exact: three transforms of size
//! N = 2^⌈log₂(rows + cols − 1)⌉, one of them (the diagonals') done once per seed. The NTT is `tfhe-ntt`'s 32-bit
//! prime plan (SIMD, runtime-detected AVX2/AVX-512).

use tfhe_ntt::prime32::Plan;
use zeroize::Zeroizing;

use crate::bits::BitVec;
use crate::error::{Error, Result};

/// The NTT prime: 45·2²⁴ + 1, below tfhe-ntt's fast-reduction bound, with 2-power roots up to 2²⁴.
const PRIME: u32 = 754_974_721;

/// A Toeplitz matrix with its diagonals transformed.
pub(super) struct NttToeplitz {
    rows: usize,
    cols: usize,
    plan: Plan,
    diag_ntt: Zeroizing<Vec<u32>>,
}

impl NttToeplitz {
    /// Prepares T_ij = t\[i − j + cols − 1\] from `t` (rows + cols − 1 bits, at most 2²³).
    pub(super) fn new(t: &BitVec, rows: usize, cols: usize) -> Result<Self> {
        let size = t.len().next_power_of_two().max(32);
        let plan = Plan::try_new(size, PRIME).ok_or_else(|| Error::Unsupported {
            detail: format!("no NTT plan of size {size} modulo {PRIME}"),
        })?;
        let mut diag_ntt = Zeroizing::new(vec![0u32; size]);
        unpack(t.words(), &mut diag_ntt[..t.len()]);
        plan.fwd(&mut diag_ntt);
        Ok(NttToeplitz { rows, cols, plan, diag_ntt })
    }

    /// y = T·x for x given as `cols` packed bits.
    pub(super) fn apply(&self, x: &[u64]) -> BitVec {
        let mut buf = Zeroizing::new(vec![0u32; self.diag_ntt.len()]);
        unpack(x, &mut buf[..self.cols]);
        self.plan.fwd(&mut buf);
        self.plan.mul_assign_normalize(&mut buf, &self.diag_ntt);
        self.plan.inv(&mut buf);
        let out = &buf[self.cols - 1..self.cols - 1 + self.rows];
        let words = out
            .chunks(64)
            .map(|c| c.iter().enumerate().fold(0u64, |w, (b, &v)| w | (u64::from(v & 1) << b)))
            .collect();
        // Cannot fail: one word per 64 coefficients.
        BitVec::from_words(words, self.rows).unwrap_or_default()
    }
}

/// One bit per coefficient: coefficient k = bit k of `words` (`out.len()` bits).
fn unpack(words: &[u64], out: &mut [u32]) {
    for (w, chunk) in words.iter().zip(out.chunks_mut(64)) {
        for (b, v) in chunk.iter_mut().enumerate() {
            *v = ((w >> b) & 1) as u32;
        }
    }
}
