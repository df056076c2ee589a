//! Negacyclic NTT in double-precision floating point for primes `p < 2^50` on x86-64 with AVX2 + FMA: four
//! residues per 256-bit register, dispatched safely at run time through `pulp::x86::V3`.
//!
//! Without AVX-512, `tfhe-ntt` emulates 64×64-bit products with 32-bit lanes. Here residues are integers held
//! exactly in `f64` lanes and products are split with one FMA, after van der Hoeven, Lecerf and Quintin,
//! "Modular SIMD arithmetic in Mathemagix", ACM TOMS 43(1), 2016 (§3, floating-point modular product with a
//! precomputed `w/p`), with lazy, signed butterflies in the spirit of Harvey, "Faster arithmetic for
//! number-theoretic transforms", J. Symb. Comp. 60 (2014) (values are reduced only when a bound requires it).
//!
//! # Arithmetic and bounds
//! All values are integers `|x| < 2^52`, so every `f64` below is exact unless said otherwise. `p < 2^50` is odd,
//! twiddles are stored balanced, `w ∈ [−(p−1)/2, (p−1)/2]`, with `w' = fl(w/p)` (`|w'| ≤ 1/2`,
//! `|w' − w/p| ≤ 2^−55`); `C = 1.5·2^52`, and `fl(z + C) − C` is `z` rounded to an integer for `|z| ≤ 2^51`.
//!
//! * `mulmod(y, w)`, for `|y| < 2^52`: `h = fl(y·w)`, `l = fma(y, w, −h) = y·w − h` (exact, 2MultFMA),
//!   `q = fl(fma(y, w', C)) − C` (an integer, `|y·w'| < 2^51`), `r = fma(−q, p, h)`, result `T = r + l`.
//!   `|y·w/p − q| ≤ 1/2 + |y|·2^−55`, so `T = y·w − q·p ≡ y·w (mod p)` with
//!   `|T| ≤ p/2 + |y|·p·2^−55 =: τ(|y|)`. Exactness: `|h| < 2^101` so `|l| ≤ 2^48`, and `h − q·p = T − l` is an
//!   integer `< 2^51` in magnitude, so the FMA producing `r` does not round; `T` is exact likewise.
//! * `reduce(x)`, for `|x| < 2^53`: `q = fl(fma(x, 1/p, C)) − C`, result `x − q·p` (exact), of magnitude
//!   `≤ p/2 + |x|·2^−53 =: ρ(|x|)`.
//! * Forward (Cooley–Tukey, `X, Y ↦ X + T, X − T` with `T = mulmod(Y, w)`): from a bound `B` on all values
//!   the stage produces `B + τ(B)`, or `ρ(B) + τ(B)` when `X` is reduced first; `B < 2^52` is required at
//!   the input of every stage. The last stage is followed by `reduce` and one conditional `+p`, which gives
//!   `[0, p)` because `ρ(B) < p`; its outputs may reach `2^53` (sums of exact integers below `2^53` are exact,
//!   and so is `reduce` there: `|x/p| < 2^51`, result `≤ p/2 + 1`).
//! * Inverse (Gentleman–Sande, `X, Y ↦ X + Y, mulmod(X − Y, w)`): from `B`, `max(2B, τ(2B))`, or
//!   `max(ρ(2B), τ(2B))` when the sum is reduced; `2B < 2^52` is required. The last stage multiplies both
//!   outputs by `N^{−1}` (folded into its twiddle) with `mulmod`, which needs `τ(2B) < p` so that one
//!   conditional `+p` lands in `[0, p)`.
//!
//! [`FpNtt::new`] tracks these bounds (rounded up, in integers) stage by stage and reduces only where the
//! remaining stages could otherwise not be done within them ([`schedule`]); for `p < 2^50` this leaves most
//! forward stages unreduced. Inputs must be reduced (`< p`), as for `tfhe-ntt`; outputs are fully reduced.
//!
//! # Layout
//! The transforms are the textbook ones with the twiddles `ψ^{bitrev(k)}` (forward) and `ψ^{−bitrev(k)}`
//! (inverse) of `tfhe-ntt`, so with the same `ψ` the outputs (bit-reversed evaluations) are identical. Stages
//! with half-blocks of at least 4 elements are radix-2 passes broadcasting one twiddle over whole registers;
//! stages whose blocks exceed [`BLOCK`] elements sweep the buffer, then each block runs its remaining stages
//! in the L1 cache. The stage with half-blocks of 2 works on 128-bit registers (one block each), the one with
//! half-blocks of 1 on in-lane unpacks of two registers (no lane-crossing shuffles, which cost 8 µops on
//! AMD Zen 1). Values live as `f64` bit patterns inside the
//! caller's `u64` buffer between stages; `u64 ↔ f64` conversions use the `2^52` exponent trick (exact below
//! `2^52`). Loop bodies are kept short: on AMD Zen 1 (256-bit operations split in two µops) a long body with
//! long dependency chains (radix 4, or fusing both small stages and the final reduction) measured slower.

use pulp::x86::V3;
use pulp::{cast, f64x2, f64x4, u64x4};

use crate::modulus::exact_f64::{ROUND, TWO52, TWO52_BITS};

/// Primes below this bound use the floating-point transform.
pub(crate) const MODULUS_BOUND: u64 = 1 << 50;

/// Elements per block for the stages run in the L1 cache (16 KiB of data).
const BLOCK: usize = 1 << 11;
/// Exclusive bound on `|x|` for the exactness arguments of the module documentation.
const LIMIT: u128 = 1 << 52;

/// Twiddles of one direction, balanced (`|w| ≤ (p−1)/2`), with their quotients `w/p`.
#[derive(Clone, Debug)]
struct Twiddles {
    /// `w[m + i]` for the stage with `m` blocks (`m < N/2`), in `tfhe-ntt`'s bit-reversed order.
    w: Vec<f64>,
    /// `fl(w/p)`, same indexing.
    wq: Vec<f64>,
    /// The stage with `N/2` blocks, per 8 elements `g`: `w[N/2 + 4g + {0, 2, 1, 3}]` and its `w/p` (the lane
    /// order of [`fwd_last_two`]).
    t1: Vec<[f64x4; 2]>,
}

impl Twiddles {
    /// From the full table `table[m + i]` (`u64`, reduced).
    fn new(table: &[u64], p: u64) -> Self {
        let n = table.len();
        let bal = |w: u64| -> (f64, f64) {
            let w = if w > p / 2 { w as f64 - p as f64 } else { w as f64 };
            (w, w / p as f64)
        };
        let (w, wq) = table[..n / 2].iter().map(|&w| bal(w)).unzip();
        let t1 = (0..n / 8)
            .map(|g| {
                let v: [(f64, f64); 4] = [0, 2, 1, 3].map(|b| bal(table[n / 2 + 4 * g + b]));
                [f64x4(v[0].0, v[1].0, v[2].0, v[3].0), f64x4(v[0].1, v[1].1, v[2].1, v[3].1)]
            })
            .collect();
        Self { w, wq, t1 }
    }
}

/// The floating-point NTT for one prime `p < 2^50` and one degree `N ≥ 16`.
#[derive(Clone, Debug)]
pub(crate) struct FpNtt {
    simd: V3,
    n: usize,
    p: f64,
    p_inv: f64,
    fwd: Twiddles,
    inv: Twiddles,
    /// Per forward stage (`m = 1, 2, …, N/2` blocks): reduce `X` before the butterfly.
    fwd_reduce: Vec<bool>,
    /// Per inverse stage but the last (`m = N/2, …, 2` blocks): reduce the sum `X + Y`.
    inv_reduce: Vec<bool>,
    /// Balanced `N^{−1}` and `N^{−1}·w` (`w` the twiddle of the last inverse stage), each with `·/p`.
    last: [(f64, f64); 2],
}

/// Bit reversal of the low `bits` bits.
fn bit_rev(bits: u32, k: usize) -> usize {
    k.reverse_bits() >> (usize::BITS - bits)
}

/// `a^e mod p` by square-and-multiply.
fn pow_mod(mut a: u64, mut e: u64, p: u64) -> u64 {
    let mut r = 1u64;
    while e > 0 {
        if e & 1 == 1 {
            r = (r as u128 * a as u128 % p as u128) as u64;
        }
        a = (a as u128 * a as u128 % p as u128) as u64;
        e >>= 1;
    }
    r
}

/// Which stages reduce, from the bounds of the module documentation; `None` if some stage cannot be done
/// within them (never for `p < 2^50`, inputs `< p`).
///
/// `forward`: `log2 N` flags (reduce `X`). Otherwise `log2 N − 1` flags (reduce `X + Y`) for the inverse
/// stages before the normalising last one. Greedy: a stage is left lazy when reducing at every later stage
/// still keeps within the bounds.
pub(crate) fn schedule(p: u64, log_n: u32, forward: bool) -> Option<Vec<bool>> {
    let p128 = u128::from(p);
    let half = p128.div_ceil(2);
    let tau = |b: u128| half + (b * p128).div_ceil(1 << 55);
    let rho = |b: u128| half + b.div_ceil(1 << 53);
    // One stage from bound `b`, or `None` if its input bound is not met.
    let step = |b: u128, reduce: bool| -> Option<u128> {
        if forward {
            (b < LIMIT).then(|| if reduce { rho(b) } else { b } + tau(b))
        } else {
            (2 * b < LIMIT).then(|| if reduce { rho(2 * b) } else { 2 * b }.max(tau(2 * b)))
        }
    };
    let finish = |b: u128| {
        // The last forward stage's outputs only feed `reduce`, which is exact below `2^53`.
        if forward { b < 2 * LIMIT && rho(b) < p128 } else { 2 * b < LIMIT && tau(2 * b) < p128 }
    };
    let stages = if forward { log_n } else { log_n - 1 };
    let feasible = |mut b: u128, from: u32| {
        for _ in from..stages {
            match step(b, true) {
                Some(next) => b = next,
                None => return false,
            }
        }
        finish(b)
    };
    let mut bound = p128 - 1;
    let mut flags = Vec::with_capacity(stages as usize);
    for s in 0..stages {
        let lazy = step(bound, false).filter(|&b| feasible(b, s + 1));
        flags.push(lazy.is_none());
        bound = match lazy {
            Some(b) => b,
            None => step(bound, true)?,
        };
    }
    finish(bound).then_some(flags)
}

impl FpNtt {
    /// The transform for degree `n` (a power of two `≥ 16`) and prime `p ≡ 1 (mod 2n)`, where `psi` is the
    /// primitive `2n`-th root of unity of the reference plan (the value of `X` in its slot 0). `None` when the
    /// CPU lacks AVX2/FMA or `p ≥ 2^50`.
    pub(crate) fn new(n: usize, p: u64, psi: u64) -> Option<Self> {
        let simd = V3::try_new()?;
        if p >= MODULUS_BOUND || n < 16 || !n.is_power_of_two() {
            return None;
        }
        let log_n = n.trailing_zeros();
        let psi_inv = pow_mod(psi, 2 * n as u64 - 1, p);
        let (mut fwd, mut inv) = (vec![0u64; n], vec![0u64; n]);
        let (mut wk, mut wk_inv) = (1u64, 1u64);
        for k in 0..n {
            fwd[bit_rev(log_n, k)] = wk;
            inv[bit_rev(log_n, k)] = wk_inv;
            wk = (wk as u128 * psi as u128 % p as u128) as u64;
            wk_inv = (wk_inv as u128 * psi_inv as u128 % p as u128) as u64;
        }
        let n_inv = pow_mod(n as u64, p - 2, p);
        let bal = |w: u64| {
            let w = if w > p / 2 { w as f64 - p as f64 } else { w as f64 };
            (w, w / p as f64)
        };
        let last = [bal(n_inv), bal((n_inv as u128 * inv[1] as u128 % p as u128) as u64)];
        Some(Self {
            simd,
            n,
            p: p as f64,
            p_inv: 1.0 / p as f64,
            fwd: Twiddles::new(&fwd, p),
            inv: Twiddles::new(&inv, p),
            fwd_reduce: schedule(p, log_n, true)?,
            inv_reduce: schedule(p, log_n, false)?,
            last,
        })
    }

    fn consts(&self) -> Consts {
        let s = self.simd;
        Consts {
            p: s.splat_f64x4(self.p),
            p_inv: s.splat_f64x4(self.p_inv),
            round: s.splat_f64x4(ROUND),
            two52: s.splat_f64x4(TWO52),
            two52_bits: s.splat_u64x4(TWO52_BITS),
            zero: s.splat_f64x4(0.0),
        }
    }

    /// Forward transform in place; `buf` holds `N` residues `< p`, and receives the evaluations in
    /// `tfhe-ntt`'s (bit-reversed) order, reduced.
    ///
    /// Stages whose blocks exceed [`BLOCK`] elements sweep the whole buffer; then each block of `BLOCK`
    /// elements runs all remaining stages while it stays in the L1 cache.
    ///
    /// # Panics
    /// If `buf.len() != N`.
    pub(crate) fn forward(&self, buf: &mut [u64]) {
        assert_eq!(buf.len(), self.n);
        let (simd, c, n) = (self.simd, self.consts(), self.n);
        let data = pulp::as_arrays_mut::<4, u64>(buf).0;
        let tw = &self.fwd;
        let stages = self.fwd_reduce.len();
        let global = (n / BLOCK).max(1).trailing_zeros().min(stages as u32 - 2) as usize;
        let len = n >> global;
        self.fwd_stages(c, data, 0..global, 0);
        for (b, block) in data.chunks_exact_mut(len / 4).enumerate() {
            self.fwd_stages(c, block, global..stages - 2, b);
            let r = n / 4 + b * len / 4..n / 4 + (b + 1) * len / 4;
            let t2 = (&tw.w[r.clone()], &tw.wq[r]);
            let t1 = &tw.t1[b * len / 8..(b + 1) * len / 8];
            match (self.fwd_reduce[stages - 2], self.fwd_reduce[stages - 1]) {
                (false, false) => fwd_last_two::<false, false>(simd, c, block, t2, t1),
                (true, false) => fwd_last_two::<true, false>(simd, c, block, t2, t1),
                (false, true) => fwd_last_two::<false, true>(simd, c, block, t2, t1),
                (true, true) => fwd_last_two::<true, true>(simd, c, block, t2, t1),
            }
        }
    }

    /// Forward stages `stages` (stage `s` has `2^s` blocks in all, of at least 8 elements) on `data`, whose
    /// first block is block `first` of the first stage.
    fn fwd_stages(&self, c: Consts, data: &mut [[u64; 4]], stages: std::ops::Range<usize>, first: usize) {
        let simd = self.simd;
        let log_n = self.n.trailing_zeros() as usize;
        for s in stages.clone() {
            let blocks = (data.len() * 4) >> (log_n - s);
            let f = (1 << s) + (first << (s - stages.start));
            let (w, wq) = (&self.fwd.w[f..f + blocks], &self.fwd.wq[f..f + blocks]);
            match (self.fwd_reduce[s], s == 0) {
                (false, false) => fwd_stage::<false, false>(simd, c, data, w, wq),
                (true, false) => fwd_stage::<true, false>(simd, c, data, w, wq),
                (false, true) => fwd_stage::<false, true>(simd, c, data, w, wq),
                (true, true) => fwd_stage::<true, true>(simd, c, data, w, wq),
            }
        }
    }

    /// Inverse transform in place, including the `1/N` normalisation; inputs `< p` in `tfhe-ntt`'s order,
    /// outputs reduced coefficients. Blocks of [`BLOCK`] elements first run their stages in the L1 cache.
    ///
    /// # Panics
    /// If `buf.len() != N`.
    pub(crate) fn inverse(&self, buf: &mut [u64]) {
        assert_eq!(buf.len(), self.n);
        let (simd, c, n) = (self.simd, self.consts(), self.n);
        let data = pulp::as_arrays_mut::<4, u64>(buf).0;
        let tw = &self.inv;
        let stages = self.inv_reduce.len() + 1;
        let len = n.min(BLOCK);
        // Stages 0 .. local run per block: blocks of `2^(s+1) ≤ len` elements, the normalising stage excluded.
        let local = (len.trailing_zeros() as usize).min(stages - 1);
        for (b, block) in data.chunks_exact_mut(len / 4).enumerate() {
            let r = n / 4 + b * len / 4..n / 4 + (b + 1) * len / 4;
            let t2 = (&tw.w[r.clone()], &tw.wq[r]);
            let t1 = &tw.t1[b * len / 8..(b + 1) * len / 8];
            match (self.inv_reduce[0], self.inv_reduce[1]) {
                (false, false) => inv_first_two::<false, false>(simd, c, block, t1, t2),
                (true, false) => inv_first_two::<true, false>(simd, c, block, t1, t2),
                (false, true) => inv_first_two::<false, true>(simd, c, block, t1, t2),
                (true, true) => inv_first_two::<true, true>(simd, c, block, t1, t2),
            }
            self.inv_stages(c, block, 2..local.max(2), b * (len >> 3));
        }
        self.inv_stages(c, data, local.max(2)..stages - 1, 0);
        inv_last(simd, c, data, self.last);
    }

    /// Inverse stages `stages` (stage `s` has `N/2^(s+1)` blocks in all, of at least 8 elements) on `data`,
    /// whose first block is block `first` of the first stage.
    fn inv_stages(&self, c: Consts, data: &mut [[u64; 4]], stages: std::ops::Range<usize>, first: usize) {
        for s in stages.clone() {
            let blocks = (data.len() * 4) >> (s + 1);
            let f = (self.n >> (s + 1)) + (first >> (s - stages.start));
            let (w, wq) = (&self.inv.w[f..f + blocks], &self.inv.wq[f..f + blocks]);
            if self.inv_reduce[s] {
                inv_stage::<true>(self.simd, c, data, w, wq);
            } else {
                inv_stage::<false>(self.simd, c, data, w, wq);
            }
        }
    }

    /// `acc[i] = (acc[i] + a[i]·b[i]) mod p` for inputs `< p`, reduced outputs. `q = round(fl(a·b)/p)` is off
    /// the true quotient by `≤ 3/4` (`a·b/p < 2^50`), so `a·b − q·p ∈ (−3p/4, 3p/4)`, and two conditional
    /// corrections of the sum suffice.
    ///
    /// # Panics
    /// If the slices differ in length from `N`.
    pub(crate) fn mul_accumulate(&self, acc: &mut [u64], a: &[u64], b: &[u64]) {
        assert!(acc.len() == self.n && a.len() == self.n && b.len() == self.n);
        let (simd, c) = (self.simd, self.consts());
        let acc = pulp::as_arrays_mut::<4, u64>(acc).0;
        let a = pulp::as_arrays::<4, u64>(a).0;
        let b = pulp::as_arrays::<4, u64>(b).0;
        simd.vectorize(
            #[inline(always)]
            move || {
                // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
                // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
                let acc = acc;
                for ((acc, a), b) in acc.iter_mut().zip(a).zip(b) {
                    let (x, y) = (to_f64(simd, c, cast(*a)), to_f64(simd, c, cast(*b)));
                    let h = simd.mul_f64x4(x, y);
                    let l = simd.mul_sub_f64x4(x, y, h);
                    let q = simd.sub_f64x4(simd.mul_add_f64x4(h, c.p_inv, c.round), c.round);
                    let t = simd.add_f64x4(simd.negate_mul_add_f64x4(q, c.p, h), l);
                    let s = simd.add_f64x4(t, to_f64(simd, c, cast(*acc)));
                    let s = add_p_if_negative(simd, c, s);
                    let s = simd.sub_f64x4(s, simd.select_f64x4(simd.cmp_ge_f64x4(s, c.p), c.p, c.zero));
                    *acc = cast(to_u64(simd, c, s));
                }
            },
        );
    }
}

/// Broadcast constants.
#[derive(Clone, Copy)]
struct Consts {
    p: f64x4,
    p_inv: f64x4,
    round: f64x4,
    two52: f64x4,
    two52_bits: u64x4,
    zero: f64x4,
}

/// A register of the buffer: `u64` residues converted if `FROM_U64`, else `f64` bits.
#[inline(always)]
fn load<const FROM_U64: bool>(simd: V3, c: Consts, x: [u64; 4]) -> f64x4 {
    if FROM_U64 { to_f64(simd, c, cast(x)) } else { cast(x) }
}

/// Full reduction of `|x| < 2^53` into `[0, p)` and conversion to `u64`.
#[inline(always)]
fn finish(simd: V3, c: Consts, x: f64x4) -> u64x4 {
    to_u64(simd, c, add_p_if_negative(simd, c, reduce(simd, c, x)))
}

impl Consts {
    /// The same constants re-broadcast from scalars, so that inside a kernel they are values held in
    /// registers rather than reloaded from the closure's captures on every use (the compiler cannot tell
    /// that the buffer's stores leave those captures unchanged).
    #[inline(always)]
    fn in_registers(self, simd: V3) -> Self {
        Self {
            p: simd.splat_f64x4(self.p.0),
            p_inv: simd.splat_f64x4(self.p_inv.0),
            round: simd.splat_f64x4(ROUND),
            two52: simd.splat_f64x4(TWO52),
            two52_bits: simd.splat_u64x4(TWO52_BITS),
            zero: simd.splat_f64x4(0.0),
        }
    }
}

/// Residues `< 2^52` to `f64`.
#[inline(always)]
fn to_f64(simd: V3, c: Consts, x: u64x4) -> f64x4 {
    simd.sub_f64x4(cast(simd.or_u64x4(x, c.two52_bits)), c.two52)
}

/// Integers in `[0, 2^52)` held in `f64` back to `u64`.
#[inline(always)]
fn to_u64(simd: V3, c: Consts, x: f64x4) -> u64x4 {
    simd.xor_u64x4(cast(simd.add_f64x4(x, c.two52)), c.two52_bits)
}

/// `T ≡ y·w (mod p)`, `|T| ≤ p/2 + |y|·p·2^−55`, for `|y| < 2^52` (module documentation).
#[inline(always)]
fn mulmod(simd: V3, c: Consts, y: f64x4, w: f64x4, wq: f64x4) -> f64x4 {
    let h = simd.mul_f64x4(y, w);
    let l = simd.mul_sub_f64x4(y, w, h);
    let q = simd.sub_f64x4(simd.mul_add_f64x4(y, wq, c.round), c.round);
    simd.add_f64x4(simd.negate_mul_add_f64x4(q, c.p, h), l)
}

/// `x − round(x/p)·p`, of magnitude `≤ p/2 + |x|·2^−53`, for `|x| < 2^53`.
#[inline(always)]
fn reduce(simd: V3, c: Consts, x: f64x4) -> f64x4 {
    let q = simd.sub_f64x4(simd.mul_add_f64x4(x, c.p_inv, c.round), c.round);
    simd.negate_mul_add_f64x4(q, c.p, x)
}

/// `x + p` where `x < 0`: maps `(−p, p)` onto `[0, p)`.
#[inline(always)]
fn add_p_if_negative(simd: V3, c: Consts, x: f64x4) -> f64x4 {
    simd.add_f64x4(x, simd.and_f64x4(cast(simd.cmp_lt_f64x4(x, c.zero)), c.p))
}

/// Cooley–Tukey butterfly `(X + T, X − T)`, `T = mulmod(Y, w)`, `X` reduced first if `REDUCE`.
#[inline(always)]
fn ct<const REDUCE: bool>(simd: V3, c: Consts, x: f64x4, y: f64x4, w: f64x4, wq: f64x4) -> (f64x4, f64x4) {
    let x = if REDUCE { reduce(simd, c, x) } else { x };
    let t = mulmod(simd, c, y, w, wq);
    (simd.add_f64x4(x, t), simd.sub_f64x4(x, t))
}

/// Gentleman–Sande butterfly `(X + Y, mulmod(X − Y, w))`, the sum reduced if `REDUCE`.
#[inline(always)]
fn gs<const REDUCE: bool>(simd: V3, c: Consts, x: f64x4, y: f64x4, w: f64x4, wq: f64x4) -> (f64x4, f64x4) {
    let s = simd.add_f64x4(x, y);
    let s = if REDUCE { reduce(simd, c, s) } else { s };
    (s, mulmod(simd, c, simd.sub_f64x4(x, y), w, wq))
}

/// One forward stage with `m = w.len()` blocks of at least 8 elements; `FROM_U64`: the buffer still holds
/// `u64` residues.
fn fwd_stage<const REDUCE: bool, const FROM_U64: bool>(
    simd: V3,
    c: Consts,
    data: &mut [[u64; 4]],
    w: &[f64],
    wq: &[f64],
) {
    let half = data.len() / (2 * w.len());
    simd.vectorize(
        #[inline(always)]
        move || {
            // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
            // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
            let data = data;
            let c = c.in_registers(simd);
            for ((block, &w), &wq) in data.chunks_exact_mut(2 * half).zip(w).zip(wq) {
                let (w, wq) = (simd.splat_f64x4(w), simd.splat_f64x4(wq));
                let (xs, ys) = block.split_at_mut(half);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (xv, yv) = (load::<FROM_U64>(simd, c, *x), load::<FROM_U64>(simd, c, *y));
                    let (a, b) = ct::<REDUCE>(simd, c, xv, yv, w, wq);
                    (*x, *y) = (cast(a), cast(b));
                }
            }
        },
    );
}

/// `([x0, y0, x2, y2], [x1, y1, x3, y3])`, within 128-bit lanes.
#[inline(always)]
fn unpack(simd: V3, x: f64x4, y: f64x4) -> (f64x4, f64x4) {
    (cast(simd.avx._mm256_unpacklo_pd(cast(x), cast(y))), cast(simd.avx._mm256_unpackhi_pd(cast(x), cast(y))))
}

/// [`mulmod`] on two lanes (128-bit operations cost one µop on Zen 1, so per element as much as 256-bit ones).
#[inline(always)]
fn mulmod2(simd: V3, c: Consts, y: f64x2, w: f64x2, wq: f64x2) -> f64x2 {
    let (p, round) = (simd.splat_f64x2(c.p.0), simd.splat_f64x2(ROUND));
    let h = simd.mul_f64x2(y, w);
    let l = simd.mul_sub_f64x2(y, w, h);
    let q = simd.sub_f64x2(simd.mul_add_f64x2(y, wq, round), round);
    simd.add_f64x2(simd.negate_mul_add_f64x2(q, p, h), l)
}

/// [`reduce`] on two lanes.
#[inline(always)]
fn reduce2(simd: V3, c: Consts, x: f64x2) -> f64x2 {
    let (p, p_inv, round) = (simd.splat_f64x2(c.p.0), simd.splat_f64x2(c.p_inv.0), simd.splat_f64x2(ROUND));
    let q = simd.sub_f64x2(simd.mul_add_f64x2(x, p_inv, round), round);
    simd.negate_mul_add_f64x2(q, p, x)
}

/// The stage with blocks of 4 elements `[x0 x1 y0 y1]` (one twiddle each) on 128-bit halves, in place:
/// Cooley–Tukey if `FORWARD` (`X` reduced first if `REDUCE`), else Gentleman–Sande (sum reduced if `REDUCE`).
#[inline(always)]
fn stage4<const FORWARD: bool, const REDUCE: bool>(
    simd: V3,
    c: Consts,
    block: &mut [u64; 4],
    w: f64,
    wq: f64,
) {
    let (x, y): (f64x2, f64x2) = (cast([block[0], block[1]]), cast([block[2], block[3]]));
    let (w, wq) = (simd.splat_f64x2(w), simd.splat_f64x2(wq));
    let (x, y) = if FORWARD {
        let x = if REDUCE { reduce2(simd, c, x) } else { x };
        let t = mulmod2(simd, c, y, w, wq);
        (simd.add_f64x2(x, t), simd.sub_f64x2(x, t))
    } else {
        let s = simd.add_f64x2(x, y);
        (if REDUCE { reduce2(simd, c, s) } else { s }, mulmod2(simd, c, simd.sub_f64x2(x, y), w, wq))
    };
    let (x, y): ([u64; 2], [u64; 2]) = (cast(x), cast(y));
    *block = [x[0], x[1], y[0], y[1]];
}

/// The forward stages with `N/4` and `N/2` blocks, then full reduction and conversion to `u64`, in three
/// short passes (on Zen 1, whose 256-bit operations are two µops, one long loop body with long dependency
/// chains measured much slower): blocks of 4 on 128-bit halves; blocks of 2 as lanes of
/// `unpack(a0..a3, a4..a7) = ([a0 a4 a2 a6], [a1 a5 a3 a7])` with twiddle lanes `[4g, 4g+2, 4g+1, 4g+3]`;
/// the reduction.
fn fwd_last_two<const REDUCE2: bool, const REDUCE1: bool>(
    simd: V3,
    c: Consts,
    data: &mut [[u64; 4]],
    t2: (&[f64], &[f64]),
    t1: &[[f64x4; 2]],
) {
    simd.vectorize(
        #[inline(always)]
        move || {
            // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
            // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
            let data = data;
            let c = c.in_registers(simd);
            for ((block, &w), &wq) in data.iter_mut().zip(t2.0).zip(t2.1) {
                stage4::<true, REDUCE2>(simd, c, block, w, wq);
            }
            for (ab, tw) in data.chunks_exact_mut(2).zip(t1) {
                let (x, y) = unpack(simd, cast(ab[0]), cast(ab[1]));
                let (x, y) = ct::<REDUCE1>(simd, c, x, y, tw[0], tw[1]);
                let (x, y) = unpack(simd, x, y);
                (ab[0], ab[1]) = (cast(x), cast(y));
            }
            for v in data.iter_mut() {
                *v = cast(finish(simd, c, cast(*v)));
            }
        },
    );
}

/// Conversion from `u64` and the inverse stages with `N/2` and `N/4` blocks (the mirror of [`fwd_last_two`]).
fn inv_first_two<const REDUCE1: bool, const REDUCE2: bool>(
    simd: V3,
    c: Consts,
    data: &mut [[u64; 4]],
    t1: &[[f64x4; 2]],
    t2: (&[f64], &[f64]),
) {
    simd.vectorize(
        #[inline(always)]
        move || {
            // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
            // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
            let data = data;
            let c = c.in_registers(simd);
            for (ab, tw) in data.chunks_exact_mut(2).zip(t1) {
                let (x, y) = unpack(simd, to_f64(simd, c, cast(ab[0])), to_f64(simd, c, cast(ab[1])));
                let (x, y) = gs::<REDUCE1>(simd, c, x, y, tw[0], tw[1]);
                let (x, y) = unpack(simd, x, y);
                (ab[0], ab[1]) = (cast(x), cast(y));
            }
            for ((block, &w), &wq) in data.iter_mut().zip(t2.0).zip(t2.1) {
                stage4::<false, REDUCE2>(simd, c, block, w, wq);
            }
        },
    );
}

/// One inverse stage with `m = w.len()` blocks of at least 8 elements (but not the last stage).
fn inv_stage<const REDUCE: bool>(simd: V3, c: Consts, data: &mut [[u64; 4]], w: &[f64], wq: &[f64]) {
    let half = data.len() / (2 * w.len());
    simd.vectorize(
        #[inline(always)]
        move || {
            // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
            // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
            let data = data;
            let c = c.in_registers(simd);
            for ((block, &w), &wq) in data.chunks_exact_mut(2 * half).zip(w).zip(wq) {
                let (w, wq) = (simd.splat_f64x4(w), simd.splat_f64x4(wq));
                let (xs, ys) = block.split_at_mut(half);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (a, b) = gs::<REDUCE>(simd, c, cast(*x), cast(*y), w, wq);
                    (*x, *y) = (cast(a), cast(b));
                }
            }
        },
    );
}

/// The last inverse stage (one block) with the `N^{−1}` normalisation, full reduction and conversion to `u64`.
fn inv_last(simd: V3, c: Consts, data: &mut [[u64; 4]], last: [(f64, f64); 2]) {
    let half = data.len() / 2;
    simd.vectorize(
        #[inline(always)]
        move || {
            // Moving the buffer out makes the closure `FnOnce`-only, so no call shim sits between `vectorize`
            // and the body (a shim is not always inlined, and then the body loses the AVX2 target features).
            let data = data;
            let c = c.in_registers(simd);
            let (ni, niq) = (simd.splat_f64x4(last[0].0), simd.splat_f64x4(last[0].1));
            let (w, wq) = (simd.splat_f64x4(last[1].0), simd.splat_f64x4(last[1].1));
            let (xs, ys) = data.split_at_mut(half);
            for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                let (xv, yv): (f64x4, f64x4) = (cast(*x), cast(*y));
                let s = mulmod(simd, c, simd.add_f64x4(xv, yv), ni, niq);
                let d = mulmod(simd, c, simd.sub_f64x4(xv, yv), w, wq);
                *x = cast(to_u64(simd, c, add_p_if_negative(simd, c, s)));
                *y = cast(to_u64(simd, c, add_p_if_negative(simd, c, d)));
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prime::ntt_primes;
    use proptest::prelude::*;
    use tfhe_ntt::prime64::Plan;

    /// The reference plan and its root `ψ` (slot 0 of the transformed monomial `X`).
    fn reference(n: usize, p: u64) -> (Plan, u64) {
        let plan = Plan::try_new(n, p).expect("NTT prime");
        let mut x = vec![0u64; n];
        x[1] = 1;
        plan.fwd(&mut x);
        (plan, x[0])
    }

    /// Random residues with `p − 1` and `0` planted every 7 elements.
    fn inputs(seed: u64, n: usize, p: u64) -> Vec<u64> {
        let mut v = super::super::tests::random_poly(seed, n, p);
        for (i, x) in v.iter_mut().enumerate() {
            match i % 7 {
                0 => *x = p - 1,
                3 => *x = 0,
                _ => {}
            }
        }
        v
    }

    #[test]
    fn schedule_exists_and_is_lazy_for_every_prime_size() {
        for bits in 17..=50u32 {
            let p = (1u64 << bits) - 1;
            for log_n in 4..=17 {
                let fwd = schedule(p, log_n, true).expect("forward schedule");
                let inv = schedule(p, log_n, false).expect("inverse schedule");
                assert_eq!((fwd.len(), inv.len()), (log_n as usize, log_n as usize - 1));
                // Laziness: at most every other stage reduces.
                assert!(fwd.iter().filter(|&&r| r).count() <= fwd.len() / 2, "{bits} {log_n} {fwd:?}");
                assert!(
                    inv.iter().filter(|&&r| r).count() <= inv.len().div_ceil(2),
                    "{bits} {log_n} {inv:?}"
                );
            }
        }
    }

    #[test]
    fn extreme_inputs_match_tfhe_ntt() {
        if V3::try_new().is_none() {
            return;
        }
        let n = 1 << 13;
        for bits in [20u32, 40, 49, 50] {
            for p in ntt_primes(bits, n, 2, &[]).unwrap_or_default() {
                let p = p.value();
                let (plan, psi) = reference(n, p);
                let fp = FpNtt::new(n, p, psi).expect("fp plan");
                for fill in [0, 1, p / 2, p / 2 + 1, p - 1] {
                    let mut want = vec![fill; n];
                    let mut got = want.clone();
                    plan.fwd(&mut want);
                    fp.forward(&mut got);
                    assert_eq!(got, want);
                    plan.inv(&mut want);
                    plan.normalize(&mut want);
                    fp.inverse(&mut got);
                    assert_eq!(got, want);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn bit_identical_to_tfhe_ntt(log_n in 4u32..=15, bits in 20u32..=50, which in 0usize..2, seed: u64) {
            prop_assume!(V3::try_new().is_some());
            let n = 1usize << log_n;
            let primes = ntt_primes(bits, n, 2, &[]);
            prop_assume!(primes.is_ok());
            let p = primes.unwrap_or_default()[which].value();
            let (plan, psi) = reference(n, p);
            let fp = FpNtt::new(n, p, psi).expect("fp plan for p < 2^50");
            let a = inputs(seed, n, p);
            let (mut want, mut got) = (a.clone(), a.clone());
            plan.fwd(&mut want);
            fp.forward(&mut got);
            prop_assert_eq!(&got, &want);
            let b = inputs(seed ^ 0x9e37_79b9, n, p);
            let (mut want, mut got) = (b.clone(), b.clone());
            plan.inv(&mut want);
            plan.normalize(&mut want);
            fp.inverse(&mut got);
            prop_assert_eq!(&got, &want);
            let mut round_trip = a.clone();
            fp.forward(&mut round_trip);
            fp.inverse(&mut round_trip);
            prop_assert_eq!(&round_trip, &a);
            let c = inputs(seed.rotate_left(17), n, p);
            let (mut want, mut got) = (c.clone(), c);
            plan.mul_accumulate(&mut want, &a, &b);
            fp.mul_accumulate(&mut got, &a, &b);
            prop_assert_eq!(got, want);
        }
    }
}
