//! Privacy amplification by Toeplitz hashing (Krawczyk, CRYPTO'94; Carter–Wegman universal₂ family), in
//! O(N log N) as a number-theoretic convolution.
//!
//! The m × n matrix comes from n + m − 1 seed bits: **T_ij = s[(i − j) mod (n + m − 1)]**, output
//! y_i = Σ_j T_ij x_j mod 2 (`../shared/science/qkd.md` §4; bits LSB-first, see [`BitVec`]). The leftover hash lemma
//! gives m = H_min^ε(X|E) − 2 log2(1/ε_PA) (Impagliazzo, Levin, Luby 1989; Tomamichel et al., IEEE TIT 57,
//! 5524 (2011)).
//!
//! Writing t\[d\] = s\[(d + m) mod L\] (L = n + m − 1), y_i = Σ_j t\[i − j + n − 1\] x_j is entry i + n − 1 of the
//! linear convolution t ∗ x. Every entry is an integer ≤ n, so it is exact modulo the prime p = 45·2²⁴ + 1 and
//! its parity is y_i. A negacyclic NTT of size N ≥ L computes the convolution with wrapped terms landing below
//! index n − 1, so the entries read are exact (a "middle product"): three transforms of size N = 2^⌈log2 L⌉.
//! The NTT is `tfhe-ntt`'s 32-bit prime plan (SIMD). [`toeplitz_naive`] is the O(n·m) oracle.

use tfhe_ntt::prime32::Plan;

use crate::bits::BitVec;
use crate::error::{Error, Result};

/// The NTT prime: 45·2²⁴ + 1, below tfhe-ntt's fast-reduction bound, with 2-power roots up to 2²⁴.
const PRIME: u32 = 754_974_721;
/// Largest n + m − 1 supported (negacyclic size 2²³ needs 2²⁴ | p − 1).
pub const MAX_SEED_BITS: usize = 1 << 23;

/// A Toeplitz hash with its seed transformed once, ready to hash any number of n-bit inputs.
#[derive(Debug)]
pub struct ToeplitzHash {
    n: usize,
    m: usize,
    plan: Plan,
    seed_ntt: Vec<u32>,
}

impl ToeplitzHash {
    /// Prepares the m × n Toeplitz matrix given by the first n + m − 1 bits of `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0, m = 0, m > n, a seed shorter than n + m − 1 bits, or
    /// n + m − 1 > [`MAX_SEED_BITS`].
    pub fn new(seed: &BitVec, n: usize, m: usize) -> Result<Self> {
        let seed_bits = check_dimensions(n, m, seed.len())?;
        let size = seed_bits.next_power_of_two().max(32);
        let plan = Plan::try_new(size, PRIME).ok_or_else(|| Error::Unsupported {
            detail: format!("no NTT plan of size {size} modulo {PRIME}"),
        })?;
        let mut seed_ntt = vec![0u32; size];
        // t[d] = s[(d + m) mod L].
        for (d, t) in seed_ntt.iter_mut().take(seed_bits).enumerate() {
            *t = u32::from(seed.get((d + m) % seed_bits).unwrap_or(false));
        }
        plan.fwd(&mut seed_ntt);
        Ok(ToeplitzHash { n, m, plan, seed_ntt })
    }

    /// Input length n.
    pub fn input_bits(&self) -> usize {
        self.n
    }

    /// Output length m.
    pub fn output_bits(&self) -> usize {
        self.m
    }

    /// y = T·x over GF(2).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `x` has exactly n bits.
    pub fn hash(&self, x: &BitVec) -> Result<BitVec> {
        if x.len() != self.n {
            return Err(Error::InvalidParameter {
                name: "input bits",
                value: x.len() as f64,
                expected: "equal to the hash's input length n",
            });
        }
        let mut buf = vec![0u32; self.seed_ntt.len()];
        for (w, chunk) in x.words().iter().zip(buf.chunks_mut(64)) {
            for (b, v) in chunk.iter_mut().enumerate() {
                *v = ((w >> b) & 1) as u32;
            }
        }
        buf[self.n..].fill(0);
        self.plan.fwd(&mut buf);
        self.plan.mul_assign_normalize(&mut buf, &self.seed_ntt);
        self.plan.inv(&mut buf);
        Ok(buf[self.n - 1..self.n - 1 + self.m].iter().map(|&c| c & 1 == 1).collect())
    }
}

/// The O(n·m) definition, y_i = ⊕_j s[(i − j) mod (n + m − 1)] ∧ x_j: the oracle for [`ToeplitzHash`].
///
/// # Errors
/// As [`ToeplitzHash::new`] and [`ToeplitzHash::hash`].
pub fn toeplitz_naive(seed: &BitVec, x: &BitVec, m: usize) -> Result<BitVec> {
    let n = x.len();
    let l = check_dimensions(n, m, seed.len())?;
    Ok((0..m)
        .map(|i| {
            (0..n).fold(false, |acc, j| {
                let s = seed.get((i + l - j) % l).unwrap_or(false);
                acc ^ (s & x.get(j).unwrap_or(false))
            })
        })
        .collect())
}

/// Checks n, m and the seed length; returns L = n + m − 1.
fn check_dimensions(n: usize, m: usize, seed_len: usize) -> Result<usize> {
    let invalid =
        |name, value: usize, expected| Err(Error::InvalidParameter { name, value: value as f64, expected });
    if n == 0 {
        return invalid("input bits", n, "at least 1");
    }
    if m == 0 || m > n {
        return invalid("output bits", m, "in [1, input bits]");
    }
    let l = n + m - 1;
    if l > MAX_SEED_BITS {
        return invalid("input + output bits", l + 1, "at most 2^23 + 1");
    }
    if seed_len < l {
        return invalid("seed bits", seed_len, "at least input + output − 1 bits");
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn random_bits(n: usize, rng: &mut ChaCha8Rng) -> BitVec {
        (0..n).map(|_| rng.next_u32() & 1 == 1).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn ntt_hash_equals_the_naive_definition(n in 1usize..700, m_frac in 0.0f64..1.0, seed in any::<u64>()) {
            let m = ((n as f64 * m_frac) as usize).clamp(1, n);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = random_bits(n + m - 1, &mut rng);
            let x = random_bits(n, &mut rng);
            let fast = ToeplitzHash::new(&s, n, m).unwrap().hash(&x).unwrap();
            prop_assert_eq!(fast, toeplitz_naive(&s, &x, m).unwrap());
        }
    }

    #[test]
    fn matches_a_hand_computed_matrix() {
        // n = 3, m = 2, L = 4, s = 1,0,1,1: T = [[s0 s3 s2], [s1 s0 s3]] = [[1 1 1], [0 1 1]].
        let s: BitVec = [true, false, true, true].into_iter().collect();
        let x: BitVec = [true, true, false].into_iter().collect();
        let y = ToeplitzHash::new(&s, 3, 2).unwrap().hash(&x).unwrap();
        assert_eq!(y, [false, true].into_iter().collect::<BitVec>());
        assert_eq!(toeplitz_naive(&s, &x, 2).unwrap(), y);
    }

    #[test]
    fn large_sizes_agree_on_sampled_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n, m) = (100_003, 60_001);
        let s = random_bits(n + m - 1, &mut rng);
        let x = random_bits(n, &mut rng);
        let y = ToeplitzHash::new(&s, n, m).unwrap().hash(&x).unwrap();
        for i in [0, 1, 4_097, m / 2, m - 1] {
            let row = (0..n).fold(false, |acc, j| {
                acc ^ (s.get((i + n + m - 1 - j) % (n + m - 1)).unwrap() & x.get(j).unwrap())
            });
            assert_eq!(y.get(i), Some(row), "row {i}");
        }
    }

    #[test]
    fn bad_dimensions_are_rejected() {
        let s: BitVec = vec![true; 100].into_iter().collect();
        let x: BitVec = vec![true; 10].into_iter().collect();
        assert!(ToeplitzHash::new(&s, 0, 1).is_err());
        assert!(ToeplitzHash::new(&s, 10, 0).is_err());
        assert!(ToeplitzHash::new(&s, 10, 11).is_err(), "M > N");
        assert!(ToeplitzHash::new(&s, 60, 50).is_err(), "seed too short");
        assert!(ToeplitzHash::new(&s, 10, 5).unwrap().hash(&s).is_err(), "input of the wrong length");
        assert!(toeplitz_naive(&s, &BitVec::new(), 1).is_err(), "empty key");
        let _ = x;
    }
}
