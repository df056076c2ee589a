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
//! O(k^log₂3) word products. The recursion stops at blocks of at most [`Kernel::BASE`] words, handed to a
//! [`Kernel`]: with `pclmulqdq`, 64 words, whose last six Karatsuba levels have their sizes fixed at compile time
//! (three on stack arrays, three on registers, 27 instructions per 8 × 8 block), the 16-word blocks compiled with
//! AVX2 when the CPU has it (runtime dispatch); in tests, 16 words and a shift-and-add schoolbook product.
//!
//! [`PackedToeplitz`] maps a bit-level Toeplitz product onto this word-level one.
//!
//! Every branch depends only on the dimensions, never on the data, so the running time leaks nothing about the
//! key or the seed.

use crate::bits::BitVec;

/// A 64 × 64 → 128-bit carry-less multiplier, applied to a whole base-case block.
pub(super) trait Kernel {
    /// A 128-bit product as the kernel holds it (a vector register for `pclmulqdq`).
    type Acc: Copy + Default + std::ops::BitXorAssign + Into<u128>;

    /// Largest block [`Kernel::base`] takes: the recursion stops at blocks of this many words or fewer.
    const BASE: usize;

    /// y_i ^= ⊕_{v < b} d\[i − v + b − 1\] ⊗ x_v for i < b, where b = `x.len()` ≤ [`Kernel::BASE`] is a power of
    /// two, `d.len()` = 2b − 1 and `y.len()` = b.
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

    const BASE: usize = 64;

    #[inline]
    fn base(d: &[u64], x: &[u64], y: &mut [safe_arch::m128i]) {
        match x.len() {
            64 => leaf::t64(d, x, y),
            32 => leaf::t32(d, x, y),
            16 => leaf::t16_dispatch(pulp::x86::V3::try_new(), d, x, y),
            8 => leaf::t8(d, x, y),
            b => {
                // A smaller block (only for inputs under 8 words), zero-padded to 8: extra columns (x = 0) add
                // nothing, extra rows are dropped, and T′_iv = d′[i − v + 7] = d[i − v + b − 1] puts d at
                // offset 8 − b.
                let mut dp = [0u64; 15];
                dp[8 - b..][..d.len()].copy_from_slice(d);
                let mut xp = [0u64; 8];
                xp[..b].copy_from_slice(x);
                let mut yp = [safe_arch::m128i::default(); 8];
                leaf::t8(&dp, &xp, &mut yp);
                for (yi, &o) in y.iter_mut().zip(&yp) {
                    *yi ^= o;
                }
            }
        }
    }
}

/// The last six levels of the recursion with sizes fixed at compile time: blocks of 64, 32 and 16 words split
/// as in [`square`] on stack arrays, and 8 × 8 blocks on registers, 27 `pclmulqdq` each.
///
/// On registers a block of 2b − 1 diagonals is held as pairs of words, A_j = (d_2j, d_2j+1) and
/// B_j = (d_2j+1, d_2j+2) for j < b − 1, so that every diagonal sum of the transposed Karatsuba step is one
/// 128-bit XOR, and the 2 × 2 step
///
/// P₀ = d₁ ⊗ (x₀ + x₁), P₁ = (d₀ + d₁) ⊗ x₁, P₂ = (d₁ + d₂) ⊗ x₀
///
/// takes its operands straight from the lanes of A₀ + B₀ = (d₀ + d₁, d₁ + d₂), B₀ and (x₀, x₁) through the
/// lane-selecting immediate of `pclmulqdq`, with no moves between general-purpose and vector registers.
///
/// The 16-word blocks (three levels, 81 `pclmulqdq`) run through [`t16_dispatch`]: on a CPU with AVX2 (x86-64-v3,
/// detected at run time by `pulp`) they are compiled with it enabled, so the whole block uses the VEX three-operand
/// encodings (no register copies before the destructive SSE forms, fewer spills) and stays small enough
/// (≈ 640 instructions) to run from the decoded-instruction cache; the 32- and 64-word steps above call it. On an
/// AMD EPYC (Zen 1) this took n = 10⁶ → m = 5×10⁵ from ≈ 145 to ≈ 170 Mbit/s; the plain SSE build remains the
/// fallback.
#[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
mod leaf {
    use pulp::x86::V3;
    use safe_arch::{m128i, mul_i64_carryless_m128i, shuffle_ai_f32_all_m128i};

    /// `[f(0), …, f(n − 1)]` as a loop: `std::array::from_fn` is not always inlined, and a call per array costs
    /// more than the XORs it computes.
    macro_rules! build {
        ($n:expr, |$j:ident| $e:expr) => {{
            let mut out = [Default::default(); $n];
            for ($j, o) in out.iter_mut().enumerate() {
                *o = $e;
            }
            out
        }};
    }

    /// 2 × 2 with a = (d₀, d₁), b = (d₁, d₂), x = (x₀, x₁).
    #[inline(always)]
    fn r2(a: &[m128i; 1], b: &[m128i; 1], x: &[m128i; 1]) -> [m128i; 2] {
        let (b, x) = (b[0], x[0]);
        let s = a[0] ^ b;
        // (x₀ + x₁, x₀ + x₁): the lanes swapped and added.
        let xs = x ^ shuffle_ai_f32_all_m128i::<0x4E>(x);
        let p0 = mul_i64_carryless_m128i::<0x00>(b, xs);
        let p1 = mul_i64_carryless_m128i::<0x10>(s, x);
        let p2 = mul_i64_carryless_m128i::<0x01>(s, x);
        [p0 ^ p1, p0 ^ p2]
    }

    /// One transposed Karatsuba step on register pairs: `$name` takes a block of `$k` words (A, B: `$k` − 1
    /// pairs each; x: `$k` / 2 pairs) and calls `$sub` on the three half blocks M, U − M, L − M.
    macro_rules! register_step {
        ($name:ident, $sub:ident, $k:expr) => {
            #[inline(always)]
            fn $name(a: &[m128i; $k - 1], b: &[m128i; $k - 1], x: &[m128i; $k / 2]) -> [m128i; $k] {
                const H: usize = $k / 2;
                const Q: usize = H / 2;
                let p0 = $sub(
                    &build!(H - 1, |j| a[j + Q]),
                    &build!(H - 1, |j| b[j + Q]),
                    &build!(Q, |j| x[j] ^ x[j + Q]),
                );
                let p1 = $sub(
                    &build!(H - 1, |j| a[j] ^ a[j + Q]),
                    &build!(H - 1, |j| b[j] ^ b[j + Q]),
                    &build!(Q, |j| x[j + Q]),
                );
                let p2 = $sub(
                    &build!(H - 1, |j| a[j + H] ^ a[j + Q]),
                    &build!(H - 1, |j| b[j + H] ^ b[j + Q]),
                    &build!(Q, |j| x[j]),
                );
                build!($k, |i| if i < H { p0[i] ^ p1[i] } else { p0[i - H] ^ p2[i - H] })
            }
        };
    }
    register_step!(r4, r2, 4);
    register_step!(r8, r4, 8);

    /// (w_i, w_i+1) as a vector.
    #[inline(always)]
    fn pair(w: &[u64], i: usize) -> m128i {
        m128i::from([w[i], w[i + 1]])
    }

    /// y ^= T·x for an 8 × 8 block (`d`: 15 words).
    #[inline(always)]
    pub(super) fn t8(d: &[u64], x: &[u64], y: &mut [m128i]) {
        let (d, x, y) = (&d[..15], &x[..8], &mut y[..8]);
        let a: [m128i; 7] = build!(7, |j| pair(d, 2 * j));
        let b: [m128i; 7] = build!(7, |j| pair(d, 2 * j + 1));
        let x: [m128i; 4] = build!(4, |j| pair(x, 2 * j));
        for (yi, o) in y.iter_mut().zip(r8(&a, &b, &x)) {
            *yi ^= o;
        }
    }

    /// One transposed Karatsuba step of [`super::square`] with the size `$k` fixed, on stack arrays.
    macro_rules! stack_step {
        ($name:ident, $sub:ident, $k:expr, $inline:meta) => {
            #[$inline]
            pub(super) fn $name(d: &[u64], x: &[u64], y: &mut [m128i]) {
                const H: usize = $k / 2;
                let (d, x, y) = (&d[..2 * $k - 1], &x[..$k], &mut y[..$k]);
                let (x0, x1) = x.split_at(H);
                let (y0, y1) = y.split_at_mut(H);
                let m = &d[H..3 * H - 1];
                let xs: [u64; H] = build!(H, |i| x0[i] ^ x1[i]);
                for (b, &a) in y1.iter_mut().zip(y0.iter()) {
                    *b ^= a;
                }
                $sub(m, &xs, y0);
                for (b, &a) in y1.iter_mut().zip(y0.iter()) {
                    *b ^= a;
                }
                let du: [u64; 2 * H - 1] = build!(2 * H - 1, |i| d[i] ^ m[i]);
                $sub(&du, x1, y0);
                let dl: [u64; 2 * H - 1] = build!(2 * H - 1, |i| d[i + 2 * H] ^ m[i]);
                $sub(&dl, x0, y1);
            }
        };
    }
    // Inlining tuned on an AMD EPYC (Zen 1): 8 into 16; [`t16_dispatch`], 32 and 64 as calls (32 inlined into 64
    // made LLVM scalarise the 64-step XORs).
    stack_step!(t16, t8, 16, inline(always));
    stack_step!(t32, t16_detected, 32, inline(never));
    stack_step!(t64, t32, 64, inline(never));

    /// [`t16_dispatch`] with AVX2 if this CPU has it (`V3::try_new` reads a cached detection result).
    #[inline(always)]
    fn t16_detected(d: &[u64], x: &[u64], y: &mut [m128i]) {
        t16_dispatch(V3::try_new(), d, x, y);
    }

    /// y ^= T·x for a 16 × 16 block (`d`: 31 words), compiled with AVX2 enabled when `simd` is given (through
    /// `pulp`'s `vectorize`, which runs [`Block16`] inside a `#[target_feature]` function), with SSE otherwise.
    /// Both compute the same thing; only the instruction encodings differ.
    #[inline(never)]
    pub(super) fn t16_dispatch(simd: Option<V3>, d: &[u64], x: &[u64], y: &mut [m128i]) {
        match simd {
            Some(simd) => simd.vectorize(Block16 { d, x, y }),
            None => t16(d, x, y),
        }
    }

    /// A 16-word block as a `pulp::NullaryFnOnce` whose `call` is inlined into the AVX2-enabled function (a
    /// closure would be called through a shim compiled without AVX2).
    struct Block16<'a> {
        d: &'a [u64],
        x: &'a [u64],
        y: &'a mut [m128i],
    }

    impl pulp::NullaryFnOnce for Block16<'_> {
        type Output = ();

        #[inline(always)]
        fn call(self) {
            t16(self.d, self.x, self.y);
        }
    }
}

/// Shift-and-add carry-less multiplication: the reference kernel for the recursion's tests.
#[cfg(test)]
pub(super) struct Portable;

#[cfg(test)]
impl Kernel for Portable {
    type Acc = u128;

    const BASE: usize = 16;

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
    /// The word product's tiling: (r_w + 1) × c_w.
    tiling: Tiling,
    /// D, already padded for `tiling` (see [`Tiling::pad`]), so that a hash neither copies nor re-pads it.
    diagonals: Vec<u64>,
}

impl PackedToeplitz {
    pub(super) fn new(t: &BitVec, rows: usize, cols: usize) -> Self {
        let (rw, cw) = (rows.div_ceil(64), cols.div_ceil(64));
        // D = z^p·t in r_w + c_w words (p = 64·p_w + p_b, 1 ≤ p ≤ 64): word w is bits 64w − p … of t, i.e. the
        // 128-bit pair (t[w − p_w − 1], t[w − p_w]) shifted right by 64 − p_b; words of t before its start or past
        // its end read as zero (its bits past t.len() are zero), and so do words of D past r_w + c_w.
        let p = 64 * cw - (cols - 1);
        let (pw, pb) = (p / 64, (p % 64) as u32);
        let tw = t.words();
        let word = |q: Option<usize>| q.and_then(|q| tw.get(q)).copied().unwrap_or(0);
        let d = |w: usize| {
            let pair = u128::from(word(w.checked_sub(pw + 1))) | (u128::from(word(w.checked_sub(pw))) << 64);
            if w < rw + cw { (pair >> (64 - pb)) as u64 } else { 0 }
        };
        let tiling = Tiling::new(rw + 1, cw);
        PackedToeplitz { rows, tiling, diagonals: tiling.pad(d) }
    }

    /// T·x for x given as `cols` packed bits (tail bits zero).
    pub(super) fn apply_with<K: Kernel>(&self, x: &[u64]) -> BitVec {
        let rw = self.rows.div_ceil(64);
        let mut y = vec![K::Acc::default(); self.tiling.rows_p];
        tmvp_padded::<K>(self.tiling, &self.diagonals, &x[..self.tiling.cols], &mut y);
        let wide = |i: usize| -> u128 { y[i].into() };
        let words = (0..rw).map(|i| (wide(i + 1) as u64) ^ ((wide(i) >> 64) as u64)).collect();
        // Key-dependent.
        y.fill(K::Acc::default());
        std::hint::black_box(&y);
        // Cannot fail: r_w words.
        BitVec::from_words(words, self.rows).unwrap_or_default()
    }
}

/// How [`tmvp_padded`] covers a rows × cols word Toeplitz matrix (rows, cols ≥ 1): tiles of k × k words, k the smallest
/// power of two (at least 8) covering the shorter side, the matrix zero-padded to rows_p × cols_p, whole tiles.
#[derive(Debug, Clone, Copy)]
struct Tiling {
    rows: usize,
    cols: usize,
    k: usize,
    rows_p: usize,
    cols_p: usize,
}

impl Tiling {
    fn new(rows: usize, cols: usize) -> Self {
        let k = tile_size(rows.min(cols));
        Tiling { rows, cols, k, rows_p: rows.div_ceil(k) * k, cols_p: cols.div_ceil(k) * k }
    }

    /// The padded problem's diagonals, T′_iv = d′\[i − v + cols_p − 1\] with d′\[e\] = d\[e − (cols_p − cols)\]
    /// (zero below): rows_p + cols_p − 1 words, `d(e)` giving d\[e\] (zero past its end).
    fn pad(&self, d: impl Fn(usize) -> u64) -> Vec<u64> {
        let shift = self.cols_p - self.cols;
        (0..self.rows_p + self.cols_p - 1).map(|e| e.checked_sub(shift).map_or(0, &d)).collect()
    }
}

/// y = T·x for the rows × cols word Toeplitz matrix T_iv = d\[i − v + cols − 1\] (rows = `y.len()`,
/// cols = `x.len()`, `d.len()` = rows + cols − 1; entries of d past its end count as zero): pads d and runs
/// [`tmvp_padded`] (the tests' entry point; [`PackedToeplitz`] pads its diagonals once, when prepared).
#[cfg(test)]
pub(super) fn tmvp<K: Kernel>(d: &[u64], x: &[u64], y: &mut [u128]) {
    let (rows, cols) = (y.len(), x.len());
    y.fill(0);
    if rows == 0 || cols == 0 {
        return;
    }
    let tiling = Tiling::new(rows, cols);
    let d_p = tiling.pad(|e| d.get(e).copied().unwrap_or(0));
    let mut y_p = vec![K::Acc::default(); tiling.rows_p];
    tmvp_padded::<K>(tiling, &d_p, x, &mut y_p);
    for (out, &acc) in y.iter_mut().zip(&y_p) {
        *out = acc.into();
    }
}

/// y_p ^= T′·x for the padded diagonals `d_p` of [`Tiling::pad`] and x of `tiling.cols` words: the first
/// `tiling.rows` entries of y_p (`tiling.rows_p` entries) are the product, the rest is padding.
///
/// Each k × k tile goes through the transposed Karatsuba recursion, told how many of its rows are wanted and how
/// many of its columns are nonzero so that it skips the half products that only feed padding rows or only read
/// padding columns (see [`square`]). (A tile of b·2^ℓ words with b not a power of two would save no word product:
/// the recursion ends in blocks of b ≤ [`Kernel::BASE`] words, each of them as costly as one of the next power of
/// two.)
fn tmvp_padded<K: Kernel>(tiling: Tiling, d_p: &[u64], x: &[u64], y_p: &mut [K::Acc]) {
    let Tiling { rows, cols, k, cols_p, .. } = tiling;
    let col_tiles = cols_p / k;
    let mut x_p = vec![0u64; cols_p];
    x_p[..cols].copy_from_slice(x);
    let mut scratch = vec![0u64; 3 * k];
    for (r, y_tile) in y_p.chunks_exact_mut(k).enumerate() {
        for (c, x_tile) in x_p.chunks_exact(k).enumerate() {
            // Tile (r, c): T'_{rk+i, ck+v} = d'[(r − c)k + cols_p − k + (i − v + k − 1)].
            let start = (r + col_tiles - 1 - c) * k;
            let shape = (k.min(rows - r * k), k.min(cols - c * k));
            square::<K>(&d_p[start..start + 2 * k - 1], x_tile, y_tile, shape, &mut scratch);
        }
    }
    // The buffers hold key-dependent data.
    x_p.fill(0);
    scratch.fill(0);
    std::hint::black_box((&x_p, &scratch));
}

/// The smallest power of two k ≥ max(s, 8).
fn tile_size(s: usize) -> usize {
    s.max(8).next_power_of_two()
}

/// y ^= T·x for a square Toeplitz matrix of size k = `x.len()` (a power of two) given by its 2k − 1 diagonals `d`,
/// where only the first `rows` entries of y are wanted (the others may receive anything) and x is zero past its
/// first `cols` entries (1 ≤ rows, cols ≤ k); `scratch` holds at least 3k words.
///
/// With the halves of the step above, a wanted-rows count r ≤ h drops P₂ (it feeds y₁ only) and a nonzero-columns
/// count c ≤ h drops P₁ (x₁ = 0, so P₁ = 0 and P₀ = M·x₀): 1, 2 or 3 half products instead of always 3. Only the
/// dimensions choose, never the data.
fn square<K: Kernel>(
    d: &[u64],
    x: &[u64],
    y: &mut [K::Acc],
    (rows, cols): (usize, usize),
    scratch: &mut [u64],
) {
    let k = x.len();
    if k <= K::BASE {
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
    let (r0, c0) = (rows.min(h), cols.min(h));
    match (rows > h, cols > h) {
        (false, false) => {
            // y₀ ^= M·x₀.
            square::<K>(m, x0, y0, (r0, c0), rest);
            return;
        }
        (false, true) => {
            // y₀ ^= P₀ + P₁.
            for ((s, &a), &b) in xbuf.iter_mut().zip(x0).zip(x1) {
                *s = a ^ b;
            }
            square::<K>(m, xbuf, y0, (r0, h), rest);
            for ((s, &u), &mm) in dbuf.iter_mut().zip(&d[..2 * h - 1]).zip(m) {
                *s = u ^ mm;
            }
            square::<K>(dbuf, x1, y0, (r0, cols - h), rest);
            return;
        }
        (true, false) => {
            // P₀ = M·x₀ into both halves, P₂ = (L − M)·x₀ into y₁.
            xor_into(y1, y0);
            square::<K>(m, x0, y0, (h, c0), rest);
            xor_into(y1, y0);
            for ((s, &l), &mm) in dbuf.iter_mut().zip(&d[2 * h..4 * h - 1]).zip(m) {
                *s = l ^ mm;
            }
            square::<K>(dbuf, x0, y1, (rows - h, c0), rest);
            return;
        }
        (true, true) => {}
    }
    // P₀ = M·(x₀ + x₁) added to both halves: y₁ ^= y₀; y₀ ^= P₀; y₁ ^= y₀.
    for ((s, &a), &b) in xbuf.iter_mut().zip(x0).zip(x1) {
        *s = a ^ b;
    }
    xor_into(y1, y0);
    square::<K>(m, xbuf, y0, (h, h), rest);
    xor_into(y1, y0);
    // P₁ = (U − M)·x₁ into y₀.
    for ((s, &u), &mm) in dbuf.iter_mut().zip(&d[..2 * h - 1]).zip(m) {
        *s = u ^ mm;
    }
    square::<K>(dbuf, x1, y0, (h, cols - h), rest);
    // P₂ = (L − M)·x₀ into y₁.
    for ((s, &l), &mm) in dbuf.iter_mut().zip(&d[2 * h..4 * h - 1]).zip(m) {
        *s = l ^ mm;
    }
    square::<K>(dbuf, x0, y1, (rows - h, h), rest);
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
        fn recursion_equals_schoolbook(rows in 1usize..300, cols in 1usize..300, seed in any::<u64>()) {
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

    /// Shapes whose tiles are only partly wanted or nonzero, so that [`square`] skips half products at several
    /// levels (rows or columns just above or below a half, a quarter, a whole tile), against the definition.
    #[test]
    fn trimmed_tiles_equal_schoolbook() {
        for (rows, cols) in
            [(513, 1_100), (700, 1_500), (1_025, 1_030), (300, 2_049), (1_024, 2_048), (97, 1_000)]
        {
            let d = words(rows + cols - 1, rows as u64);
            let x = words(cols, cols as u64);
            let expected = schoolbook(&d, &x, rows);
            let mut y = vec![0u128; rows];
            tmvp::<Portable>(&d, &x, &mut y);
            assert_eq!(y, expected, "portable, {rows} × {cols}");
            #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
            {
                tmvp::<Pclmul>(&d, &x, &mut y);
                assert_eq!(y, expected, "pclmulqdq, {rows} × {cols}");
            }
        }
    }

    /// Every block size the `pclmulqdq` kernel takes, including the zero-padded ones below 8 words.
    #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
    #[test]
    fn pclmul_blocks_equal_the_portable_kernel() {
        for b in (1..8).chain([8, 16, 32, 64]) {
            for seed in 0..4 {
                let (d, x) = (words(2 * b - 1, seed), words(b, seed ^ 0x55));
                let start = words(b, seed ^ 0xaa);
                let mut expected: Vec<u128> = start.iter().map(|&w| u128::from(w) << 32).collect();
                let mut hw: Vec<safe_arch::m128i> = expected.iter().map(|&w| w.into()).collect();
                let mut sse = hw.clone();
                Portable::base(&d, &x, &mut expected);
                Pclmul::base(&d, &x, &mut hw);
                let hw: Vec<u128> = hw.into_iter().map(Into::into).collect();
                assert_eq!(hw, expected, "b = {b}");
                if b == 16 {
                    // The SSE fallback of the runtime dispatch, whatever this CPU has.
                    leaf::t16_dispatch(None, &d, &x, &mut sse);
                    let sse: Vec<u128> = sse.into_iter().map(Into::into).collect();
                    assert_eq!(sse, expected, "b = 16 without AVX2");
                }
            }
        }
    }

    #[test]
    fn tile_sizes_are_the_next_powers_of_two() {
        assert_eq!(tile_size(1), 8);
        assert_eq!(tile_size(8), 8);
        assert_eq!(tile_size(9), 16);
        assert_eq!(tile_size(64), 64);
        assert_eq!(tile_size(65), 128);
        assert_eq!(tile_size(7_814), 8_192);
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
