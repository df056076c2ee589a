//! Residue number system: a basis of NTT primes with their cached plans, CRT lifting, and fast base conversion.
//!
//! Notation of Cheon–Han–Kim–Kim–Song (SAC 2018, §2.2): `Q = ∏ q_i`, `q̂_i = Q / q_i`. The fast base conversion
//! `Conv_{Q→P}(a)_j = Σ_i [a_i · q̂_i^{-1}]_{q_i} · q̂_i mod p_j` returns `a + u·Q` for some `0 ≤ u < #Q`
//! (Bajard–Eynard–Hasan–Zucca, SAC 2016, §2.2); RNS-CKKS absorbs the small `u·Q` error in ModUp / ModDown.

use std::sync::Arc;

use crate::{Error, Modulus, NttPlan};

/// An ordered list of distinct NTT primes for one ring degree, with one shared [`NttPlan`] per prime.
///
/// Sub-bases ([`RnsBasis::select`]) share the plans, so each `(N, q)` plan is built once per context.
#[derive(Clone, Debug)]
pub struct RnsBasis {
    degree: usize,
    plans: Vec<Arc<NttPlan>>,
    moduli: Vec<Modulus>,
    /// Garner constants: `radix[i][k] = ∏_{j<k} q_j mod q_i` (k < i) and `inv[i] = (∏_{j<i} q_j)^{-1} mod q_i`.
    garner: Vec<(Vec<u64>, u64)>,
}

fn garner_tables(moduli: &[Modulus]) -> Vec<(Vec<u64>, u64)> {
    moduli
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut radix = Vec::with_capacity(i);
            let mut r = 1u64;
            for q in &moduli[..i] {
                radix.push(r);
                r = m.mul(r, m.reduce(q.value()));
            }
            // Distinct primes: the prefix product is invertible mod q_i (checked by the constructor).
            (radix, m.inv(r).unwrap_or(0))
        })
        .collect()
}

impl RnsBasis {
    /// Builds a basis (and its NTT plans) from prime values.
    ///
    /// # Errors
    /// [`Error::EmptyBasis`], [`Error::DuplicateModulus`], or any error of [`Modulus::new`] / [`NttPlan::new`].
    pub fn new(degree: usize, primes: &[u64]) -> Result<Self, Error> {
        let moduli = primes.iter().map(|&p| Modulus::new(p)).collect::<Result<Vec<_>, _>>()?;
        Self::from_moduli(degree, &moduli)
    }

    /// As [`RnsBasis::new`] from validated moduli.
    ///
    /// # Errors
    /// As [`RnsBasis::new`].
    pub fn from_moduli(degree: usize, moduli: &[Modulus]) -> Result<Self, Error> {
        if moduli.is_empty() {
            return Err(Error::EmptyBasis);
        }
        for (i, m) in moduli.iter().enumerate() {
            if moduli[..i].contains(m) {
                return Err(Error::DuplicateModulus { modulus: m.value() });
            }
        }
        let plans =
            moduli.iter().map(|&m| NttPlan::new(degree, m).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { degree, plans, moduli: moduli.to_vec(), garner: garner_tables(moduli) })
    }

    /// The sub-basis with the given indices, in that order, sharing the plans.
    ///
    /// # Panics
    /// If an index is out of range or `indices` is empty (bugs in the caller).
    pub fn select(&self, indices: &[usize]) -> Self {
        assert!(!indices.is_empty(), "empty sub-basis");
        let moduli: Vec<Modulus> = indices.iter().map(|&i| self.moduli[i]).collect();
        Self {
            degree: self.degree,
            plans: indices.iter().map(|&i| Arc::clone(&self.plans[i])).collect(),
            garner: garner_tables(&moduli),
            moduli,
        }
    }

    /// Ring degree `N`.
    pub const fn degree(&self) -> usize {
        self.degree
    }

    /// Number of primes.
    pub fn len(&self) -> usize {
        self.moduli.len()
    }

    /// Always `false`: a basis has at least one prime.
    pub fn is_empty(&self) -> bool {
        self.moduli.is_empty()
    }

    /// The primes.
    pub fn moduli(&self) -> &[Modulus] {
        &self.moduli
    }

    /// The NTT plan of prime `i`.
    pub fn plan(&self, i: usize) -> &NttPlan {
        &self.plans[i]
    }

    /// Inverse NTT, in place, of every limb of limb-major residues over this basis (`N·#basis` words; the limbs
    /// in parallel with the `parallel` feature): [`crate::Poly::into_coeff`] on a caller's buffer.
    ///
    /// # Panics
    /// If `data.len() ≠ N·#basis` (a bug in the caller).
    pub fn inverse_limbs(&self, data: &mut [u64]) {
        assert_eq!(data.len(), self.degree() * self.len(), "limb-major buffer of the wrong length");
        crate::poly::for_each_limb(data, self.degree(), |i, limb| self.plans[i].inverse(limb));
    }

    /// `log2 Q`.
    pub fn log2_product(&self) -> f64 {
        self.moduli.iter().map(|m| (m.value() as f64).log2()).sum()
    }

    /// Exact CRT lift of residues `(a_i)` to `[0, Q)`, as little-endian 64-bit limbs (Garner's mixed radix).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `residues.len()` differs from the basis size.
    pub fn reconstruct(&self, residues: &[u64]) -> Result<Vec<u64>, Error> {
        let digits = self.mixed_radix(residues, false)?;
        // x = d_0 + q_0 (d_1 + q_1 (d_2 + …)), evaluated from the top with a multi-limb accumulator.
        let mut acc: Vec<u64> = vec![0];
        for (i, &d) in digits.iter().enumerate().rev() {
            if i + 1 < digits.len() {
                mul_small(&mut acc, self.moduli[i].value());
            }
            add_small(&mut acc, d as u64);
        }
        while acc.len() > 1 && acc.last() == Some(&0) {
            acc.pop();
        }
        Ok(acc)
    }

    /// Centered CRT lift of residues to a real number in `(−Q/2, Q/2]`-ish, accurate to `f64` precision.
    ///
    /// Uses balanced mixed-radix digits so that no cancellation against `Q` occurs: the result is exact up to
    /// one rounding per limb, however large `Q` is.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `residues.len()` differs from the basis size.
    pub fn lift_centered_f64(&self, residues: &[u64]) -> Result<f64, Error> {
        let digits = self.mixed_radix(residues, true)?;
        let mut acc = 0.0f64;
        for (i, &d) in digits.iter().enumerate().rev() {
            if i + 1 < digits.len() {
                acc *= self.moduli[i].value() as f64;
            }
            acc += d as f64;
        }
        Ok(acc)
    }

    /// Centered lift of a whole limb-major polynomial (`#basis` limbs of `N` words) into `out` (`N` values).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] on a length mismatch.
    pub fn lift_centered_f64_poly(&self, data: &[u64], out: &mut [f64]) -> Result<(), Error> {
        let n = self.degree;
        if data.len() != n * self.len() || out.len() != n {
            return Err(Error::LengthMismatch { expected: n * self.len(), got: data.len() });
        }
        let mut residues = vec![0u64; self.len()];
        let mut digits = vec![0i64; self.len()];
        for (c, o) in out.iter_mut().enumerate() {
            for (i, r) in residues.iter_mut().enumerate() {
                *r = data[i * n + c];
            }
            self.mixed_radix_into(&residues, true, &mut digits);
            let mut acc = 0.0f64;
            for (i, &d) in digits.iter().enumerate().rev() {
                if i + 1 < digits.len() {
                    acc *= self.moduli[i].value() as f64;
                }
                acc += d as f64;
            }
            *o = acc;
        }
        Ok(())
    }

    /// Mixed-radix digits `d_i` with `x = Σ d_i ∏_{j<i} q_j`, each in `[0, q_i)` or, if `balanced`, in
    /// `(−q_i/2, q_i/2]` (Garner 1959).
    fn mixed_radix(&self, residues: &[u64], balanced: bool) -> Result<Vec<i64>, Error> {
        if residues.len() != self.len() {
            return Err(Error::LengthMismatch { expected: self.len(), got: residues.len() });
        }
        let mut digits = vec![0i64; self.len()];
        self.mixed_radix_into(residues, balanced, &mut digits);
        Ok(digits)
    }

    fn mixed_radix_into(&self, residues: &[u64], balanced: bool, digits: &mut [i64]) {
        for (i, m) in self.moduli.iter().enumerate() {
            // d_i = (a_i − Σ_{k<i} d_k ∏_{j<k} q_j) · (∏_{j<i} q_j)^{-1} mod q_i
            let (radix, inv) = &self.garner[i];
            let mut value = m.reduce(residues[i]);
            for (k, &r) in radix.iter().enumerate() {
                value = m.sub(value, m.mul(m.reduce_i64(digits[k]), r));
            }
            let d = m.mul(value, *inv);
            digits[i] = if balanced { m.center(d) } else { d as i64 };
        }
    }
}

fn mul_small(acc: &mut Vec<u64>, m: u64) {
    let mut carry = 0u128;
    for limb in acc.iter_mut() {
        let t = u128::from(*limb) * u128::from(m) + carry;
        *limb = t as u64;
        carry = t >> 64;
    }
    if carry > 0 {
        acc.push(carry as u64);
    }
}

fn add_small(acc: &mut Vec<u64>, a: u64) {
    let mut carry = a;
    for limb in acc.iter_mut() {
        let (s, c) = limb.overflowing_add(carry);
        *limb = s;
        carry = u64::from(c);
        if carry == 0 {
            return;
        }
    }
    if carry > 0 {
        acc.push(carry);
    }
}

/// Precomputed fast base conversion from a basis `Q` to a disjoint basis `P` (Bajard et al. 2016, Eq. 2).
#[derive(Clone, Debug)]
pub struct BaseConverter {
    from: Vec<Modulus>,
    to: Vec<Modulus>,
    /// `[q̂_i^{-1}]_{q_i}` and its Shoup quotient.
    qhat_inv: Vec<(u64, u64)>,
    /// `[q̂_i]_{p_j}`, row-major by target `j`.
    qhat_mod_p: Vec<u64>,
    /// `[Q]_{p_j}`.
    q_mod_p: Vec<u64>,
    /// `1/q_i` as `f64`.
    q_inv_f64: Vec<f64>,
}

impl BaseConverter {
    /// Precomputes the constants for converting from `from` to `to`.
    ///
    /// # Errors
    /// [`Error::EmptyBasis`] if either side is empty, [`Error::DuplicateModulus`] if `from` has a repeated prime
    /// (which would make `q̂_i` non-invertible).
    pub fn new(from: &[Modulus], to: &[Modulus]) -> Result<Self, Error> {
        if from.is_empty() || to.is_empty() {
            return Err(Error::EmptyBasis);
        }
        let mut qhat_inv = Vec::with_capacity(from.len());
        for (i, qi) in from.iter().enumerate() {
            let mut qhat = 1u64;
            for (k, qk) in from.iter().enumerate() {
                if k != i {
                    qhat = qi.mul(qhat, qi.reduce(qk.value()));
                }
            }
            let inv = qi.inv(qhat).ok_or(Error::DuplicateModulus { modulus: qi.value() })?;
            qhat_inv.push((inv, qi.shoup(inv)));
        }
        let mut qhat_mod_p = Vec::with_capacity(from.len() * to.len());
        for pj in to {
            for i in 0..from.len() {
                let mut qhat = 1u64;
                for (k, qk) in from.iter().enumerate() {
                    if k != i {
                        qhat = pj.mul(qhat, pj.reduce(qk.value()));
                    }
                }
                qhat_mod_p.push(qhat);
            }
        }
        let q_mod_p =
            to.iter().map(|pj| from.iter().fold(1u64, |acc, q| pj.mul(acc, pj.reduce(q.value())))).collect();
        let q_inv_f64 = from.iter().map(|q| 1.0 / q.value() as f64).collect();
        Ok(Self { from: from.to_vec(), to: to.to_vec(), qhat_inv, qhat_mod_p, q_mod_p, q_inv_f64 })
    }

    /// Source primes.
    pub fn from(&self) -> &[Modulus] {
        &self.from
    }

    /// Target primes.
    pub fn to(&self) -> &[Modulus] {
        &self.to
    }

    /// Converts coefficient-domain limbs: `input` holds `#from` limbs of `N` words (limb-major), `output`
    /// receives `#to` limbs. `scratch` must hold `#from·N` words. The result is `a + u·Q`, `0 ≤ u < #from`.
    ///
    /// # Panics
    /// On length mismatches (bugs in the caller).
    pub fn convert(&self, input: &[u64], output: &mut [u64], scratch: &mut [u64]) {
        let (nf, nt) = (self.from.len(), self.to.len());
        let n = input.len() / nf;
        assert_eq!(input.len(), nf * n);
        assert_eq!(output.len(), nt * n);
        if nf == 1 {
            // q̂_0 = 1: the conversion is a plain reduction of each residue.
            for (pj, out) in self.to.iter().zip(output.chunks_exact_mut(n)) {
                if pj.value() >= self.from[0].value() {
                    out.copy_from_slice(input);
                } else {
                    for (o, &a) in out.iter_mut().zip(input) {
                        *o = pj.reduce(a);
                    }
                }
            }
            return;
        }
        assert!(scratch.len() >= nf * n);
        for (i, qi) in self.from.iter().enumerate() {
            let (w, ws) = self.qhat_inv[i];
            for (y, &a) in scratch[i * n..(i + 1) * n].iter_mut().zip(&input[i * n..(i + 1) * n]) {
                *y = qi.mul_shoup(a, w, ws);
            }
        }
        // nf ≤ 16 keeps Σ y_i·c_i < 16·2^124 = 2^128.
        assert!(nf <= 16, "at most 16 source primes per conversion");
        for (j, pj) in self.to.iter().enumerate() {
            let row = &self.qhat_mod_p[j * nf..(j + 1) * nf];
            let out = &mut output[j * n..(j + 1) * n];
            for (c, o) in out.iter_mut().enumerate() {
                let mut acc = 0u128;
                for (i, &r) in row.iter().enumerate() {
                    acc += u128::from(scratch[i * n + c]) * u128::from(r);
                }
                *o = pj.reduce_u128(acc);
            }
        }
    }
}

impl BaseConverter {
    /// Exact conversion of the centered representative `[a]_Q ∈ (−Q/2, Q/2)`: the fast conversion corrected by
    /// `v = ⌊Σ_i y_i/q_i⌉` computed in floating point (Halevi–Polyakov–Shoup, CT-RSA 2019, §2.2). Exact except
    /// when `Σ y_i/q_i` falls within ~`2^-50` of a half-integer. Same buffers as [`BaseConverter::convert`].
    ///
    /// Dividing `x` by `Q` as `(x − Conv_centered([x]_Q))/Q` rounds to the nearest integer, which is how ModDown
    /// and rescale round without extra constants.
    ///
    /// # Panics
    /// On length mismatches (bugs in the caller).
    pub fn convert_centered(&self, input: &[u64], output: &mut [u64], scratch: &mut [u64]) {
        let (nf, nt) = (self.from.len(), self.to.len());
        let n = input.len() / nf;
        assert_eq!(input.len(), nf * n);
        assert_eq!(output.len(), nt * n);
        assert!(scratch.len() >= nf * n && nf <= 16);
        if nf == 1 {
            let q = self.from[0];
            for (pj, out) in self.to.iter().zip(output.chunks_exact_mut(n)) {
                lift_centered_one(input, out, q, *pj);
            }
            return;
        }
        for (i, qi) in self.from.iter().enumerate() {
            let (w, ws) = self.qhat_inv[i];
            for (y, &a) in scratch[i * n..(i + 1) * n].iter_mut().zip(&input[i * n..(i + 1) * n]) {
                *y = qi.mul_shoup(a, w, ws);
            }
        }
        for c in 0..n {
            let mut frac = 0.0f64;
            for i in 0..nf {
                frac += scratch[i * n + c] as f64 * self.q_inv_f64[i];
            }
            let v = (frac + 0.5) as u64; // 0 ≤ v ≤ nf
            for (j, pj) in self.to.iter().enumerate() {
                let row = &self.qhat_mod_p[j * nf..(j + 1) * nf];
                let mut acc = 0u128;
                for (i, &r) in row.iter().enumerate() {
                    acc += u128::from(scratch[i * n + c]) * u128::from(r);
                }
                let x = pj.reduce_u128(acc);
                output[j * n + c] = pj.sub(x, pj.mul(pj.reduce(v), self.q_mod_p[j]));
            }
        }
    }
}

/// `out[i] = (a_i − q·[a_i > q/2]) mod p` for residues `a_i < q`: the centered lift of one residue into another
/// prime, the whole base conversion of a single-prime digit.
///
/// For `q, p < 2^50` it runs in `f64`, vectorised with AVX2 where the CPU has it (through `pulp`'s safe
/// runtime dispatch): `x = a − q·[a > q/2]` is exact with `|x| ≤ q/2 < 2^49`; `k = round(fl(x·(1/p)))` is
/// within `1/2 + 2^−3` of `x/p`, so `r = x − k·p` (exact, `|k·p| < 2^51`) lies in `(−p, p)` and one conditional
/// `+p` lands in `[0, p)`. Other sizes use the integer Barrett path.
fn lift_centered_one(input: &[u64], out: &mut [u64], q: Modulus, p: Modulus) {
    const BOUND: u64 = 1 << 50;
    let (qv, pv) = (q.value(), p.value());
    let half = qv / 2;
    if qv >= BOUND || pv >= BOUND {
        let q_mod = p.reduce(qv);
        for (o, &a) in out.iter_mut().zip(input) {
            let r = p.reduce(a);
            *o = if a > half { p.sub(r, q_mod) } else { r };
        }
        return;
    }
    use crate::modulus::exact_f64::{ROUND, from_u52, to_u52, with_avx2_fma};
    let (qf, pf, pinv, halff) = (qv as f64, pv as f64, 1.0 / pv as f64, half as f64);
    with_avx2_fma(move || {
        for (o, &a) in out.iter_mut().zip(input) {
            let x = from_u52(a);
            let x = if x > halff { x - qf } else { x };
            let k = (x * pinv + ROUND) - ROUND;
            let r = x - k * pf;
            let r = if r < 0.0 { r + pf } else { r };
            *o = to_u52(r);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prime::ntt_prime_chain;
    use proptest::prelude::*;

    fn basis3() -> RnsBasis {
        let m = ntt_prime_chain(&[40, 40, 45], 16).unwrap();
        RnsBasis::from_moduli(16, &m).unwrap()
    }

    proptest! {
        #[test]
        fn reconstruct_inverts_reduction(x in any::<u128>()) {
            let b = basis3();
            let q: u128 = b.moduli()[..2].iter().map(|m| u128::from(m.value())).product();
            let x = x % q;
            let mut res: Vec<u64> = b.moduli().iter().map(|m| (x % u128::from(m.value())) as u64).collect();
            let sub = b.select(&[0, 1]);
            res.truncate(2);
            let limbs = sub.reconstruct(&res).unwrap();
            let got = u128::from(limbs[0]) | (u128::from(*limbs.get(1).unwrap_or(&0)) << 64);
            prop_assert_eq!(got, x);
        }

        #[test]
        fn centered_lift_of_small_values(v in -(1i64 << 52)..(1i64 << 52)) {
            let b = basis3();
            let res: Vec<u64> = b.moduli().iter().map(|m| m.reduce_i64(v)).collect();
            prop_assert_eq!(b.lift_centered_f64(&res).unwrap(), v as f64);
        }

        #[test]
        fn base_conversion_is_exact_up_to_multiples_of_q(x in any::<u64>(), y in any::<u64>()) {
            let all = ntt_prime_chain(&[30, 30, 40, 50], 16).unwrap();
            let (from, to) = (&all[..2], &all[2..]);
            let q: u128 = from.iter().map(|m| u128::from(m.value())).product();
            let x = (u128::from(x) << 64 | u128::from(y)) % q;
            let n = 16;
            let input: Vec<u64> = from.iter().flat_map(|m| vec![(x % u128::from(m.value())) as u64; n]).collect();
            let conv = BaseConverter::new(from, to).unwrap();
            let mut out = vec![0u64; 2 * n];
            let mut scratch = vec![0u64; 2 * n];
            conv.convert(&input, &mut out, &mut scratch);
            let ok = (0..2u128).any(|u| {
                let v = x + u * q;
                to.iter().enumerate().all(|(j, m)| out[j * n] == (v % u128::from(m.value())) as u64)
            });
            prop_assert!(ok);
        }
    }

    proptest! {
        /// The single-prime conversion (f64 path below 2^50, Barrett above) against i128 arithmetic, including
        /// the residues around q/2 where the lift changes sign.
        #[test]
        fn single_prime_lift_equals_integer_arithmetic(
            qb in prop::sample::select(vec![20u32, 30, 40, 49, 50, 55, 60]),
            pb in prop::sample::select(vec![20u32, 30, 40, 49, 50, 55, 60]),
            seed in any::<u64>(),
        ) {
            let primes = ntt_prime_chain(&[qb, pb], 16).unwrap();
            let (q, p) = (primes[0], primes[1]);
            let half = q.value() / 2;
            let mut input: Vec<u64> = (0..64u64)
                .map(|i| (seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd) % q.value())
                .collect();
            input[..8].copy_from_slice(&[0, 1, half - 1, half, half + 1, q.value() - 1, q.value() - 2, 2]);
            let mut out = vec![0u64; 64];
            lift_centered_one(&input, &mut out, q, p);
            for (&a, &o) in input.iter().zip(&out) {
                let x = if a > half { i128::from(a) - i128::from(q.value()) } else { i128::from(a) };
                prop_assert_eq!(o, x.rem_euclid(i128::from(p.value())) as u64, "a = {}", a);
            }
        }
    }

    #[test]
    fn centered_conversion_is_exact() {
        let all = ntt_prime_chain(&[30, 31, 40, 50], 16).unwrap();
        let (from, to) = (&all[..2], &all[2..]);
        let q = i128::from(from[0].value()) * i128::from(from[1].value());
        let conv = BaseConverter::new(from, to).unwrap();
        let single = BaseConverter::new(&from[..1], to).unwrap();
        // Within ~2^-50·Q of ±Q/2 the floating-point correction may round either way (documented).
        let edges = [
            i128::from(all[0].value()) / 2,
            i128::from(all[0].value()) / 2 + 1,
            i128::from(all[3].value()) / 2,
        ];
        for x in [0i128, 1, -1, q / 2 - (1 << 20), -(q / 2) + (1 << 20), 12_345_678_901, -987_654_321_012]
            .into_iter()
            .chain(edges)
        {
            let n = 16;
            let input: Vec<u64> =
                from.iter().flat_map(|m| vec![x.rem_euclid(i128::from(m.value())) as u64; n]).collect();
            let mut out = vec![0u64; 2 * n];
            let mut scratch = vec![0u64; 2 * n];
            conv.convert_centered(&input, &mut out, &mut scratch);
            for (j, m) in to.iter().enumerate() {
                assert_eq!(out[j * n], x.rem_euclid(i128::from(m.value())) as u64, "x = {x}");
            }
            let q0 = i128::from(from[0].value());
            let small = x.rem_euclid(q0);
            let centered = if small > q0 / 2 { small - q0 } else { small };
            single.convert_centered(&input[..n], &mut out, &mut scratch);
            for (j, m) in to.iter().enumerate() {
                assert_eq!(out[j * n], centered.rem_euclid(i128::from(m.value())) as u64, "x = {x}");
            }
            // From a larger prime (50 bits) to smaller ones (30, 31 bits): the reducing path.
            let big = i128::from(to[1].value());
            let down = BaseConverter::new(&to[1..], from).unwrap();
            let r = x.rem_euclid(big);
            let centered = if r > big / 2 { r - big } else { r };
            down.convert_centered(&vec![r as u64; n], &mut out, &mut scratch);
            for (j, m) in from.iter().enumerate() {
                assert_eq!(out[j * n], centered.rem_euclid(i128::from(m.value())) as u64, "x = {x}");
            }
        }
    }

    #[test]
    fn inverse_limbs_equals_into_coeff() {
        let b = basis3();
        let data: Vec<u64> = b
            .moduli()
            .iter()
            .flat_map(|m| (0..16u64).map(move |k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15) % m.value()))
            .collect();
        let poly = crate::Poly::<crate::Ntt>::from_residues(data.clone(), &b).unwrap();
        let mut buf = data;
        b.inverse_limbs(&mut buf);
        assert_eq!(buf, poly.into_coeff(&b).as_slice());
    }

    #[test]
    fn basis_errors() {
        assert!(matches!(RnsBasis::new(16, &[]), Err(Error::EmptyBasis)));
        assert!(matches!(RnsBasis::new(16, &[97, 97]), Err(Error::DuplicateModulus { modulus: 97 })));
        assert!(matches!(basis3().reconstruct(&[1]), Err(Error::LengthMismatch { expected: 3, got: 1 })));
        assert!((basis3().log2_product() - 125.0).abs() < 0.01);
    }
}
