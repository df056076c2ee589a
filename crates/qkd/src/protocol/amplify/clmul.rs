//! Packed GF(2) Toeplitz matrix–vector products by transposed Karatsuba over 64-bit words.
//!
//! A word-level Toeplitz matrix has 64-bit polynomial entries T_iv = d\[i − v + cols − 1\]; the product
//! y_i = Σ_v T_iv · x_v is a 128-bit polynomial per row (carry-less multiplication, GF(2)\[z\]). This is the
//! "middle product" of Hanrot, Quercia and Zimmermann, *The middle product algorithm I*, AAECC 14, 415 (2004):
//! splitting a square matrix of size k into 2 × 2 Toeplitz blocks \[\[M, U\], \[L, M\]\] and the vector into (x₀, x₁),
//!
//! P₀ = M·(x₀ + x₁), P₁ = (U − M)·x₁, P₂ = (L − M)·x₀, y = (P₀ + P₁, P₀ + P₂),
//!
//! three half-size products instead of four (the transpose of Karatsuba's formula; over GF(2) "−" is XOR), so
//! O(k^log₂3) word products. The recursion stops at blocks of at most [`BASE`] words, handed to a [`Kernel`]:
//! with `pclmulqdq`, four more Karatsuba levels unrolled on registers (81 instructions per 16 × 16 block); in
//! tests, a shift-and-add schoolbook product.
//!
//! [`PackedToeplitz`] maps a bit-level Toeplitz product onto this word-level one.
//!
//! Every branch depends only on the dimensions, never on the data, so the running time leaks nothing about the
//! key or the seed.

use crate::bits::BitVec;

/// Base-case size in words: blocks of 9 to 16 words (fewer for small inputs) end the recursion, zero-padded to 16
/// for the unrolled `pclmulqdq` leaf (tuned on an AMD EPYC Zen 1: 16 beats 8 and 32).
const BASE: usize = 16;

/// A 64 × 64 → 128-bit carry-less multiplier, applied to a whole base-case block.
pub(super) trait Kernel {
    /// A 128-bit product as the kernel holds it (a vector register for `pclmulqdq`).
    type Acc: Copy + Default + std::ops::BitXorAssign + Into<u128>;

    /// y_i ^= ⊕_{v < b} d\[i − v + b − 1\] ⊗ x_v for i < b, where b = `x.len()` ≤ [`BASE`], `d.len()` = 2b − 1
    /// and `y.len()` = b.
    fn base(d: &[u64], x: &[u64], y: &mut [Self::Acc]);
}

/// `pclmulqdq` through `safe_arch`, whose safe wrappers exist when the build enables the target feature
/// (`-C target-feature=+pclmulqdq`, set for x86-64 in the workspace's `.cargo/config.toml`) and inline to the
/// bare instruction.
#[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
pub(super) struct Pclmul;

#[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
impl Kernel for Pclmul {
    type Acc = safe_arch::m128i;

    #[inline]
    fn base(d: &[u64], x: &[u64], y: &mut [safe_arch::m128i]) {
        let out = if let (Ok(d), Ok(x)) = (<&[u64; 2 * BASE - 1]>::try_from(d), <&[u64; BASE]>::try_from(x)) {
            leaf::t16(d, x)
        } else {
            // A smaller block, zero-padded to BASE: extra columns (x = 0) add nothing, extra rows are dropped,
            // and T′_iv = d′[i − v + BASE − 1] = d[i − v + b − 1] puts d at offset BASE − b.
            let mut dp = [0u64; 2 * BASE - 1];
            dp[BASE - x.len()..][..d.len()].copy_from_slice(d);
            let mut xp = [0u64; BASE];
            xp[..x.len()].copy_from_slice(x);
            leaf::t16(&dp, &xp)
        };
        for (yi, o) in y.iter_mut().zip(out) {
            *yi ^= o;
        }
    }
}

/// The last four levels of the recursion unrolled: 16 × 16 words in 81 `pclmulqdq`, the operand sums on
/// general-purpose registers.
#[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
mod leaf {
    use std::array::from_fn;

    use safe_arch::{m128i, mul_i64_carryless_m128i};

    /// 64 × 64 → 128-bit carry-less product.
    #[inline(always)]
    fn mul(a: u64, b: u64) -> m128i {
        mul_i64_carryless_m128i::<0>(m128i::from(u128::from(a)), m128i::from(u128::from(b)))
    }

    /// 2 × 2: P₀ = M(x₀ + x₁), P₁ = (U − M)x₁, P₂ = (L − M)x₀ with U = d₀, M = d₁, L = d₂.
    #[inline(always)]
    fn t2(d: [u64; 3], x: [u64; 2]) -> [m128i; 2] {
        let p0 = mul(d[1], x[0] ^ x[1]);
        let p1 = mul(d[0] ^ d[1], x[1]);
        let p2 = mul(d[2] ^ d[1], x[0]);
        [p0 ^ p1, p0 ^ p2]
    }

    #[inline(always)]
    fn t4(d: [u64; 7], x: [u64; 4]) -> [m128i; 4] {
        let p0 = t2(from_fn(|i| d[i + 2]), from_fn(|i| x[i] ^ x[i + 2]));
        let p1 = t2(from_fn(|i| d[i] ^ d[i + 2]), [x[2], x[3]]);
        let p2 = t2(from_fn(|i| d[i + 4] ^ d[i + 2]), [x[0], x[1]]);
        [p0[0] ^ p1[0], p0[1] ^ p1[1], p0[0] ^ p2[0], p0[1] ^ p2[1]]
    }

    #[inline(always)]
    pub(super) fn t16(d: &[u64; 31], x: &[u64; 16]) -> [m128i; 16] {
        let p0 = t8(&from_fn(|i| d[i + 8]), &from_fn(|i| x[i] ^ x[i + 8]));
        let p1 = t8(&from_fn(|i| d[i] ^ d[i + 8]), &from_fn(|i| x[i + 8]));
        let p2 = t8(&from_fn(|i| d[i + 16] ^ d[i + 8]), &from_fn(|i| x[i]));
        from_fn(|i| if i < 8 { p0[i] ^ p1[i] } else { p0[i - 8] ^ p2[i - 8] })
    }

    #[inline(always)]
    fn t8(d: &[u64; 15], x: &[u64; 8]) -> [m128i; 8] {
        let p0 = t4(from_fn(|i| d[i + 4]), from_fn(|i| x[i] ^ x[i + 4]));
        let p1 = t4(from_fn(|i| d[i] ^ d[i + 4]), from_fn(|i| x[i + 4]));
        let p2 = t4(from_fn(|i| d[i + 8] ^ d[i + 4]), from_fn(|i| x[i]));
        [
            p0[0] ^ p1[0],
            p0[1] ^ p1[1],
            p0[2] ^ p1[2],
            p0[3] ^ p1[3],
            p0[0] ^ p2[0],
            p0[1] ^ p2[1],
            p0[2] ^ p2[2],
            p0[3] ^ p2[3],
        ]
    }
}

/// Shift-and-add carry-less multiplication: the reference kernel for the recursion's tests.
#[cfg(test)]
pub(super) struct Portable;

#[cfg(test)]
impl Kernel for Portable {
    type Acc = u128;

    fn base(d: &[u64], x: &[u64], y: &mut [u128]) {
        let b = x.len();
        for (i, yi) in y.iter_mut().enumerate() {
            for (v, &xw) in x.iter().enumerate() {
                let a = u128::from(d[i + b - 1 - v]);
                for bit in 0..64 {
                    if (xw >> bit) & 1 == 1 {
                        *yi ^= a << bit;
                    }
                }
            }
        }
    }
}

/// A rows × cols bit Toeplitz matrix T_ij = t\[i − j + cols − 1\], its diagonals packed for the word-level product.
///
/// With c_w = ⌈cols / 64⌉ input words and r_w = ⌈rows / 64⌉ output words, shift t up by
/// p = 64·c_w − (cols − 1) bits: D(z) = z^p·t(z). Then y_i = (t·x)\[cols − 1 + i\] = (D·x)\[64·c_w + i\], so output
/// word k is lo(Ỹ\[k + 1\]) ⊕ hi(Ỹ\[k\]) with the 128-bit word products Ỹ\[i\] = Σ_v D_{i − v + c_w − 1} ⊗ X_v,
/// i ≤ r_w: a word Toeplitz product of (r_w + 1) × c_w with the r_w + c_w words of D.
pub(super) struct PackedToeplitz {
    rows: usize,
    cols: usize,
    diagonals: Vec<u64>,
}

impl PackedToeplitz {
    pub(super) fn new(t: &BitVec, rows: usize, cols: usize) -> Self {
        let (rw, cw) = (rows.div_ceil(64), cols.div_ceil(64));
        let mut d = BitVec::with_capacity(64 * (rw + cw));
        d.extend_from_words(&[], 0, 64 * cw - (cols - 1));
        d.extend_from_words(t.words(), 0, t.len());
        let pad = 64 * (rw + cw) - d.len();
        d.extend_from_words(&[], 0, pad);
        PackedToeplitz { rows, cols, diagonals: d.words().to_vec() }
    }

    /// T·x for x given as `cols` packed bits (tail bits zero).
    pub(super) fn apply_with<K: Kernel>(&self, x: &[u64]) -> BitVec {
        let (rw, cw) = (self.rows.div_ceil(64), self.cols.div_ceil(64));
        let mut wide = vec![0u128; rw + 1];
        tmvp::<K>(&self.diagonals, &x[..cw], &mut wide);
        let words = wide.windows(2).map(|p| (p[1] as u64) ^ ((p[0] >> 64) as u64)).collect();
        wide.fill(0);
        std::hint::black_box(&wide);
        // Cannot fail: r_w words.
        BitVec::from_words(words, self.rows).unwrap_or_default()
    }
}

/// y = T·x for the rows × cols word Toeplitz matrix T_iv = d\[i − v + cols − 1\] (rows = `y.len()`,
/// cols = `x.len()`, `d.len()` = rows + cols − 1; entries of d past its end count as zero).
///
/// The matrix is zero-padded to whole tiles of k = b·2^ℓ words (b ≤ [`BASE`]), k the smallest such size covering
/// the shorter side, and each k × k tile goes through the transposed Karatsuba recursion.
pub(super) fn tmvp<K: Kernel>(d: &[u64], x: &[u64], y: &mut [u128]) {
    let (rows, cols) = (y.len(), x.len());
    y.fill(0);
    if rows == 0 || cols == 0 {
        return;
    }
    let k = tile_size(rows.min(cols));
    let (row_tiles, col_tiles) = (rows.div_ceil(k), cols.div_ceil(k));
    let (rows_p, cols_p) = (row_tiles * k, col_tiles * k);
    // Padded problem: T'_iv = d'[i − v + cols_p − 1] with d'[e] = d[e − (cols_p − cols)].
    let mut d_p = vec![0u64; rows_p + cols_p - 1];
    let shift = cols_p - cols;
    let copy = d.len().min(d_p.len() - shift);
    d_p[shift..shift + copy].copy_from_slice(&d[..copy]);
    let mut x_p = vec![0u64; cols_p];
    x_p[..cols].copy_from_slice(x);
    let mut y_p = vec![K::Acc::default(); rows_p];
    let mut scratch = vec![0u64; 3 * k];
    for (r, y_tile) in y_p.chunks_exact_mut(k).enumerate() {
        for (c, x_tile) in x_p.chunks_exact(k).enumerate() {
            // Tile (r, c): T'_{rk+i, ck+v} = d'[(r − c)k + cols_p − k + (i − v + k − 1)].
            let start = (r + col_tiles - 1 - c) * k;
            square::<K>(&d_p[start..start + 2 * k - 1], x_tile, y_tile, &mut scratch);
        }
    }
    for (out, &acc) in y.iter_mut().zip(&y_p) {
        *out = acc.into();
    }
    // The buffers hold key-dependent data.
    x_p.fill(0);
    y_p.fill(K::Acc::default());
    scratch.fill(0);
    std::hint::black_box((&x_p, &y_p, &scratch));
}

/// The smallest k = b·2^ℓ ≥ s with b ≤ [`BASE`].
fn tile_size(s: usize) -> usize {
    let mut levels = 0;
    while s.div_ceil(1 << levels) > BASE {
        levels += 1;
    }
    s.div_ceil(1 << levels) << levels
}

/// y ^= T·x for a square Toeplitz matrix of size k = `x.len()` (k = b·2^ℓ, b ≤ [`BASE`]) given by its 2k − 1
/// diagonals `d`; `scratch` holds at least 3k words.
fn square<K: Kernel>(d: &[u64], x: &[u64], y: &mut [K::Acc], scratch: &mut [u64]) {
    let k = x.len();
    if k <= BASE {
        K::base(d, x, y);
        return;
    }
    let h = k / 2;
    let (x0, x1) = x.split_at(h);
    let (y0, y1) = y.split_at_mut(h);
    let (dbuf, rest) = scratch.split_at_mut(2 * h - 1);
    let (xbuf, rest) = rest.split_at_mut(h);
    // Diagonal blocks: U = d[0..2h−1] (upper right), M = d[h..3h−1], L = d[2h..4h−1] (lower left).
    let m = &d[h..3 * h - 1];
    // P₀ = M·(x₀ + x₁) added to both halves: y₁ ^= y₀; y₀ ^= P₀; y₁ ^= y₀.
    for ((s, &a), &b) in xbuf.iter_mut().zip(x0).zip(x1) {
        *s = a ^ b;
    }
    xor_into(y1, y0);
    square::<K>(m, xbuf, y0, rest);
    xor_into(y1, y0);
    // P₁ = (U − M)·x₁ into y₀.
    for ((s, &u), &mm) in dbuf.iter_mut().zip(&d[..2 * h - 1]).zip(m) {
        *s = u ^ mm;
    }
    square::<K>(dbuf, x1, y0, rest);
    // P₂ = (L − M)·x₀ into y₁.
    for ((s, &l), &mm) in dbuf.iter_mut().zip(&d[2 * h..4 * h - 1]).zip(m) {
        *s = l ^ mm;
    }
    square::<K>(dbuf, x0, y1, rest);
}

fn xor_into<A: Copy + std::ops::BitXorAssign>(dst: &mut [A], src: &[A]) {
    for (a, &b) in dst.iter_mut().zip(src) {
        *a ^= b;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The definition, word by word.
    fn schoolbook(d: &[u64], x: &[u64], rows: usize) -> Vec<u128> {
        let cols = x.len();
        let mut y = vec![0u128; rows];
        let mut one = [0u128];
        for (i, yi) in y.iter_mut().enumerate() {
            for (v, &xv) in x.iter().enumerate() {
                let dw = d.get(i + cols - 1 - v).copied().unwrap_or(0);
                one[0] = 0;
                Portable::base(&[dw], &[xv], &mut one);
                *yi ^= one[0];
            }
        }
        y
    }

    fn words(len: usize, seed: u64) -> Vec<u64> {
        (0..len as u64).map(|i| (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ seed).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn recursion_equals_schoolbook(rows in 1usize..90, cols in 1usize..90, seed in any::<u64>()) {
            let d = words(rows + cols - 1, seed);
            let x = words(cols, seed.rotate_left(7));
            let mut y = vec![0u128; rows];
            tmvp::<Portable>(&d, &x, &mut y);
            prop_assert_eq!(&y, &schoolbook(&d, &x, rows));
            #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
            {
                let mut hw = vec![0u128; rows];
                tmvp::<Pclmul>(&d, &x, &mut hw);
                prop_assert_eq!(&hw, &y);
            }
        }
    }

    #[test]
    fn tile_sizes_cover_with_small_padding() {
        assert_eq!(tile_size(1), 1);
        assert_eq!(tile_size(BASE), BASE);
        assert_eq!(tile_size(BASE + 1), 2 * (BASE / 2 + 1));
        assert_eq!(tile_size(7_814), 8_192);
        for s in 1..5_000 {
            let k = tile_size(s);
            assert!(k >= s && (k - s) * BASE / 2 <= s, "s = {s}, k = {k}");
        }
    }

    #[test]
    fn portable_kernel_multiplies_small_polynomials() {
        // (z + 1)(z + 1) = z² + 1 over GF(2); z^63 · z^63 = z^126.
        let mut y = [0u128];
        Portable::base(&[3], &[3], &mut y);
        assert_eq!(y[0], 5);
        let mut y = [0u128];
        Portable::base(&[1 << 63], &[1 << 63], &mut y);
        assert_eq!(y[0], 1 << 126);
    }
}
