//! Hybrid key switching and rescaling on RNS polynomials.
//!
//! Key switching of `c ∈ R_{Q_ℓ}` (Han–Ki, CT-RSA 2020, §3; Kim–Papadimitriou–Polyakov, CT-RSA 2022, §2):
//! 1. ModUp: for each digit `j`, the limbs of `c` on the digit's primes `Q_j` are base-converted to every other
//!    prime of `Q_ℓ ∪ P`. The conversion is the exact centered one (Halevi–Polyakov–Shoup, CT-RSA 2019, §2.2):
//!    the digit `d_j = [c]_{Q_j} ∈ (−Q_j/2, Q_j/2)` has mean zero, so the key-switching noise `Σ_j d_j·e_j / P`
//!    has variance `Q_j²/12` per digit coefficient instead of `Q_j²/3` for the `[0, Q_j)` representative (at
//!    `N = 1024`, a 50-bit digit over a 50-bit `P`: rotation error 2^-28 instead of 2^-25).
//! 2. Inner product with the key over `Q_ℓ ∪ P`, in the NTT domain.
//! 3. ModDown: `(x − Conv_{P→Q_ℓ}([x]_P))·P^{-1} mod Q_ℓ` (Cheon–Han–Kim–Kim–Song, SAC 2018, Alg. 2 `ModDown`).
//!
//! Rescale divides by the last prime with rounding (CHKKS 2018, §3.3 `RS`): `(a − [a + ⌊q_ℓ/2⌋]_{q_ℓ} + ⌊q_ℓ/2⌋)
//! · q_ℓ^{-1}` on each remaining limb.

use std::cell::RefCell;

use quantumacy_math::{Ntt, Poly};

use crate::Parameters;
use crate::keys::KeySwitchKey;

/// Reusable buffers of the key-switching and rescale hot paths (one set per thread), so that a key switch
/// allocates only its two output polynomials.
#[derive(Default)]
struct Scratch {
    coeff: Vec<u64>,
    d: Vec<u64>,
    gathered: Vec<u64>,
    input: Vec<u64>,
    converted: Vec<u64>,
    conv_scratch: Vec<u64>,
    down: Vec<u64>,
    down_scratch: Vec<u64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers. They are taken out of the cell for the call, so a nested call
/// (none today) would see empty buffers and allocate rather than fail.
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    let mut scratch = SCRATCH.with(RefCell::take);
    let out = f(&mut scratch);
    SCRATCH.with(|cell| cell.replace(scratch));
    out
}

/// `buf` resized to `len` (contents unspecified: callers overwrite before reading).
fn sized(buf: &mut Vec<u64>, len: usize) -> &mut [u64] {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    &mut buf[..len]
}

/// Returns `(u_0, u_1)` over `Q_ℓ` (NTT domain) with `u_0 + u_1·s ≈ c·s'`, for the key switching `s'` to `s`.
pub(crate) fn key_switch(
    params: &Parameters,
    level: usize,
    c: &Poly<Ntt>,
    key: &KeySwitchKey,
) -> [Poly<Ntt>; 2] {
    key_switch_ext(params, level, c, key).map(|a| mod_down(params, level, a))
}

/// Steps 1–2 of key switching: `P·(u_0, u_1)` over `Q_ℓ ∪ P` (NTT, data limbs first), before ModDown.
pub(crate) fn key_switch_ext(
    params: &Parameters,
    level: usize,
    c: &Poly<Ntt>,
    key: &KeySwitchKey,
) -> [Vec<u64>; 2] {
    let ld = &params.levels[level];
    let n = params.degree();
    let ext_len = ld.ext.len();
    let mut acc = zero_sums(params, level);
    with_scratch(|sc| {
        let (up_scratch, d, gathered) = sc.split();
        let mut up = ModUp::new(params, level, c, up_scratch);
        let d = sized(d, ext_len * n);
        for (j, digit_key) in key.digits.iter().enumerate().take(ld.digits.len()) {
            up.digit_into(j, d);
            accumulate_digit(params, level, d, digit_key, None, &mut acc, gathered);
        }
    });
    acc
}

/// Zero sums `Σ d·key_b`, `Σ d·key_a` for the key-switching inner product over `Q_ℓ ∪ P` (NTT, data limbs
/// first).
fn zero_sums(params: &Parameters, level: usize) -> [Vec<u64>; 2] {
    let len = params.levels[level].ext.len() * params.degree();
    [vec![0u64; len], vec![0u64; len]]
}

/// The scratch buffers [`ModUp`] borrows.
struct ModUpScratch<'a> {
    coeff: &'a mut Vec<u64>,
    input: &'a mut Vec<u64>,
    converted: &'a mut Vec<u64>,
    conv_scratch: &'a mut Vec<u64>,
}

impl Scratch {
    /// The ModUp buffers, and the digit and gather buffers beside them.
    fn split(&mut self) -> (ModUpScratch<'_>, &mut Vec<u64>, &mut Vec<u64>) {
        let Self { coeff, d, gathered, input, converted, conv_scratch, .. } = self;
        (ModUpScratch { coeff, input, converted, conv_scratch }, d, gathered)
    }
}

/// Step 1 of key switching, ModUp: the centered digits `[c]_{Q_j}` of `c`, each extended to all of `Q_ℓ ∪ P`
/// in the NTT domain, one digit at a time.
struct ModUp<'a> {
    params: &'a Parameters,
    level: usize,
    c: &'a Poly<Ntt>,
    c_coeff: &'a [u64],
    input: &'a mut [u64],
    converted: &'a mut [u64],
    scratch: &'a mut [u64],
}

impl<'a> ModUp<'a> {
    /// Takes `c` to the coefficient domain (in the scratch's `coeff`) and sizes the buffers `digit_into` works
    /// in.
    fn new(params: &'a Parameters, level: usize, c: &'a Poly<Ntt>, sc: ModUpScratch<'a>) -> Self {
        let ModUpScratch { coeff, input, converted, conv_scratch } = sc;
        let ld = &params.levels[level];
        let n = params.degree();
        let c_coeff = sized(coeff, c.as_slice().len());
        c_coeff.copy_from_slice(c.as_slice());
        ld.basis.inverse_limbs(c_coeff);
        let max_group = ld.digits.iter().map(|g| g.group.len()).max().unwrap_or(0);
        Self {
            params,
            level,
            c,
            c_coeff,
            input: sized(input, max_group * n),
            converted: sized(converted, ld.ext.len() * n),
            scratch: sized(conv_scratch, max_group * n),
        }
    }

    /// Digit `j` over `Q_ℓ ∪ P` (NTT) into `d` (`|Q_ℓ ∪ P|` limbs).
    fn digit_into(&mut self, j: usize, d: &mut [u64]) {
        let ld = &self.params.levels[self.level];
        let n = self.params.degree();
        let digit = &ld.digits[j];
        let g = digit.group.len();
        for (r, &t) in digit.group.iter().enumerate() {
            self.input[r * n..(r + 1) * n].copy_from_slice(&self.c_coeff[t * n..(t + 1) * n]);
            d[t * n..(t + 1) * n].copy_from_slice(self.c.limb(t));
        }
        let rest = digit.rest.len();
        digit.conv.convert_centered(
            &self.input[..g * n],
            &mut self.converted[..rest * n],
            &mut self.scratch[..g * n],
        );
        for (r, &t) in digit.rest.iter().enumerate() {
            let limb = &mut d[t * n..(t + 1) * n];
            limb.copy_from_slice(&self.converted[r * n..(r + 1) * n]);
            ld.ext.plan(t).forward(limb);
        }
    }
}

/// Step 2 of key switching for one digit: `acc += σ(d)·(key_b, key_a)` over `Q_ℓ ∪ P` (NTT), where `σ` is the
/// Galois automorphism given by its slot permutations (indexed by the primes of the full basis), or the
/// identity.
///
/// Applying `σ` to the ModUp digits instead of to `c` before ModUp gives the same key switch: the centered digit
/// decomposition and its base extension act on each coefficient alone and commute with negation, and `σ` maps
/// coefficients to coefficients up to sign. This is what lets several rotations of one ciphertext share one
/// ModUp (Halevi–Shoup, *Faster homomorphic linear transformations in HElib*, CRYPTO 2018, §5, "hoisting").
///
/// Each product is reduced by the NTT plan's vectorised `mul_accumulate`; a lazily reduced 128-bit scalar sum
/// measured 2–6 % slower per key switch on this AVX2 machine.
fn accumulate_digit(
    params: &Parameters,
    level: usize,
    d: &[u64],
    (kb, ka): &(Poly<Ntt>, Poly<Ntt>),
    perms: Option<&[Vec<u32>]>,
    acc: &mut [Vec<u64>; 2],
    gathered: &mut Vec<u64>,
) {
    let ld = &params.levels[level];
    let n = params.degree();
    let tmp = sized(gathered, n);
    let [s0, s1] = acc;
    for t in 0..ld.ext.len() {
        let plan = ld.ext.plan(t);
        let full_t = ld.ext_index[t];
        let limb = &d[t * n..(t + 1) * n];
        let dl: &[u64] = match perms {
            None => limb,
            Some(perms) => {
                for (o, &j) in tmp.iter_mut().zip(&perms[full_t]) {
                    *o = limb[j as usize];
                }
                tmp
            }
        };
        plan.mul_accumulate(&mut s0[t * n..(t + 1) * n], dl, kb.limb(full_t));
        plan.mul_accumulate(&mut s1[t * n..(t + 1) * n], dl, ka.limb(full_t));
    }
}

/// The ModUp digits of one ciphertext component, computed once and shared by several key switches (hoisting:
/// each further rotation costs only a slot permutation and the inner product, see [`accumulate_digit`]).
pub(crate) struct Hoisted {
    level: usize,
    /// Digit-major: `digits × |Q_ℓ ∪ P|` limbs, NTT domain.
    digits: Vec<u64>,
}

impl Hoisted {
    /// ModUp of `c ∈ R_{Q_ℓ}` (NTT).
    pub(crate) fn new(params: &Parameters, level: usize, c: &Poly<Ntt>) -> Self {
        let ld = &params.levels[level];
        let limb_len = ld.ext.len() * params.degree();
        let mut digits = vec![0u64; ld.digits.len() * limb_len];
        with_scratch(|sc| {
            let mut up = ModUp::new(params, level, c, sc.split().0);
            for (j, d) in digits.chunks_exact_mut(limb_len).enumerate() {
                up.digit_into(j, d);
            }
        });
        Self { level, digits }
    }

    /// A zero accumulator over `Q_ℓ ∪ P` for [`Hoisted::accumulate`].
    pub(crate) fn zero_accumulator(&self, params: &Parameters) -> [Vec<u64>; 2] {
        zero_sums(params, self.level)
    }

    /// `acc += P·KeySwitch(σ(c))` over `Q_ℓ ∪ P` (before ModDown), `σ` given by its slot permutations.
    pub(crate) fn accumulate(
        &self,
        params: &Parameters,
        key: &KeySwitchKey,
        perms: &[Vec<u32>],
        acc: &mut [Vec<u64>; 2],
    ) {
        let limb_len = params.levels[self.level].ext.len() * params.degree();
        with_scratch(|sc| {
            for (d, digit_key) in self.digits.chunks_exact(limb_len).zip(&key.digits) {
                accumulate_digit(params, self.level, d, digit_key, Some(perms), acc, &mut sc.gathered);
            }
        });
    }
}

/// `x ∈ R_{Q_ℓ P}` (NTT, data limbs first) ↦ `⌊x / (P·q_ℓ)⌉ ∈ R_{Q_{ℓ−1}}` (NTT): ModDown and rescale in one
/// conversion. Requires `ℓ ≥ 1`.
pub(crate) fn mod_down_rescale(params: &Parameters, level: usize, mut x: Vec<u64>) -> Poly<Ntt> {
    let ld = &params.levels[level];
    let Some(dr) = &ld.down_rescale else { unreachable!("callers check level ≥ 1") };
    let n = params.degree();
    for t in level..ld.ext.len() {
        ld.ext.plan(t).inverse(&mut x[t * n..(t + 1) * n]);
    }
    let (kept, dropped) = x.split_at_mut(level * n);
    with_scratch(|sc| {
        let conv = sized(&mut sc.down, level * n);
        let scratch = sized(&mut sc.down_scratch, dropped.len());
        dr.conv.convert_centered(dropped, conv, scratch);
        for (i, m) in ld.basis.moduli()[..level].iter().enumerate() {
            let cl = &mut conv[i * n..(i + 1) * n];
            ld.basis.plan(i).forward(cl);
            m.sub_mul_assign(&mut kept[i * n..(i + 1) * n], cl, dr.inv[i].0);
        }
    });
    x.truncate(level * n);
    Poly::from_residues(x, &params.levels[level - 1].basis)
        .unwrap_or_else(|_| unreachable!("mod-down keeps residues reduced"))
}

/// `x ∈ R_{Q_ℓ P}` (NTT, data limbs first) ↦ `⌊x / P⌉ ∈ R_{Q_ℓ}` (NTT).
pub(crate) fn mod_down(params: &Parameters, level: usize, x: Vec<u64>) -> Poly<Ntt> {
    mod_down_with_noise(params, level, x, None)
}

/// As [`mod_down`] for `x + e`, where the small polynomial `e` is given in the coefficient domain: it is added
/// to the `P` limbs after their inverse NTT and subtracted from the converted limbs before their forward NTT,
/// so `e` costs no transform of its own (public-key encryption modulo `Q_ℓ·P`).
pub(crate) fn mod_down_with_noise(
    params: &Parameters,
    level: usize,
    mut x: Vec<u64>,
    noise: Option<&[i64]>,
) -> Poly<Ntt> {
    let ld = &params.levels[level];
    let n = params.degree();
    let ql = level + 1;
    let k = ld.ext.len() - ql;
    // Rounding: subtracting the centered representative of [x]_P makes (x − [x]_P)/P = round(x/P).
    for t in ql..ld.ext.len() {
        let limb = &mut x[t * n..(t + 1) * n];
        ld.ext.plan(t).inverse(limb);
        if let Some(e) = noise {
            let m = ld.ext.moduli()[t];
            for (v, &ei) in limb.iter_mut().zip(e) {
                *v = m.add(*v, m.reduce_i64(ei));
            }
        }
    }
    let (data, special) = x.split_at_mut(ql * n);
    with_scratch(|sc| {
        let conv = sized(&mut sc.down, ql * n);
        let scratch = sized(&mut sc.down_scratch, k * n);
        ld.mod_down.convert_centered(special, conv, scratch);
        for (i, m) in ld.basis.moduli().iter().enumerate() {
            let cl = &mut conv[i * n..(i + 1) * n];
            if let Some(e) = noise {
                for (v, &ei) in cl.iter_mut().zip(e) {
                    *v = m.sub(*v, m.reduce_i64(ei));
                }
            }
            ld.basis.plan(i).forward(cl);
            m.sub_mul_assign(&mut data[i * n..(i + 1) * n], cl, ld.p_inv[i].0);
        }
    });
    x.truncate(ql * n);
    // Residues are reduced by construction.
    Poly::from_residues(x, &ld.basis).unwrap_or_else(|_| unreachable!("mod-down keeps residues reduced"))
}

/// Divides `a ∈ R_{Q_ℓ}` (NTT) by `q_ℓ` with rounding, leaving `a ∈ R_{Q_{ℓ−1}}`. Requires `ℓ ≥ 1`.
pub(crate) fn rescale_poly(params: &Parameters, level: usize, a: &mut Poly<Ntt>) {
    let ld = &params.levels[level];
    let n = params.degree();
    let q_last = ld.basis.moduli()[level];
    with_scratch(|sc| {
        let last = sized(&mut sc.down, n);
        last.copy_from_slice(a.limb(level));
        ld.basis.plan(level).inverse(last);
        let half = q_last.value() / 2;
        for x in last.iter_mut() {
            *x = q_last.add(*x, half);
        }
        let tmp = sized(&mut sc.down_scratch, n);
        for i in 0..level {
            let m = ld.basis.moduli()[i];
            let half_i = m.reduce(half);
            for (t, &x) in tmp.iter_mut().zip(last.iter()) {
                *t = m.sub(m.reduce(x), half_i);
            }
            ld.basis.plan(i).forward(tmp);
            m.sub_mul_assign(a.limb_mut(i), tmp, ld.rescale_inv[i].0);
        }
    });
    a.truncate(level);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Parameters, Preset};
    use quantumacy_math::Coeff;
    use quantumacy_math::sample::{Gaussian, uniform_poly};
    use rand::SeedableRng;

    #[test]
    fn noise_inside_mod_down_equals_noise_added_before() {
        let params = Parameters::preset(Preset::InsecureTestN4096).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(41);
        for level in [0, 2, 3] {
            let ext = &params.levels[level].ext;
            let x = uniform_poly(&mut rng, ext);
            let e = Gaussian::new(3.2).sample_vec(&mut rng, params.degree());
            let mut with_e = x.clone();
            with_e.add_assign(&Poly::<Coeff>::from_signed(&e, ext).into_ntt(ext), ext);
            let want = mod_down(&params, level, with_e.as_slice().to_vec());
            let got = mod_down_with_noise(&params, level, x.as_slice().to_vec(), Some(&e));
            assert_eq!(got, want, "level {level}");
        }
    }
}
