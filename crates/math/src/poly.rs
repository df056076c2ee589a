//! Polynomials of `Z_Q[X]/(X^N + 1)` in RNS form, with the representation domain as a type-state.
//!
//! Storage is limb-major: limb `i` (residues mod `q_i`) occupies `data[i·N..(i+1)·N]`. Every operation takes
//! the [`RnsBasis`] the polynomial lives in; the number of limbs must match it (checked with `assert!`, since
//! a mismatch is a bug in the calling layer, which tracks levels). All arithmetic is in place.

use std::marker::PhantomData;

use zeroize::Zeroize;

use crate::RnsBasis;

/// Coefficient representation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coeff;

/// Evaluation (NTT) representation, in `tfhe-ntt`'s bit-reversed slot order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ntt;

/// A polynomial in RNS form over some basis, in domain `D` ([`Coeff`] or [`Ntt`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Poly<D> {
    degree: usize,
    limbs: usize,
    data: Vec<u64>,
    domain: PhantomData<D>,
}

impl<D> std::fmt::Debug for Poly<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poly")
            .field("degree", &self.degree)
            .field("limbs", &self.limbs)
            .finish_non_exhaustive()
    }
}

impl<D> Zeroize for Poly<D> {
    fn zeroize(&mut self) {
        self.data.zeroize();
    }
}

impl<D> Poly<D> {
    /// The zero polynomial over `basis`.
    pub fn zero(basis: &RnsBasis) -> Self {
        Self::from_raw(basis.degree(), basis.len(), vec![0; basis.degree() * basis.len()])
    }

    fn from_raw(degree: usize, limbs: usize, data: Vec<u64>) -> Self {
        Self { degree, limbs, data, domain: PhantomData }
    }

    /// Wraps limb-major residues (each already reduced mod its prime).
    ///
    /// # Errors
    /// [`crate::Error::LengthMismatch`] when `data.len() ≠ N·#basis`, or a residue is out of range.
    pub fn from_residues(data: Vec<u64>, basis: &RnsBasis) -> Result<Self, crate::Error> {
        let want = basis.degree() * basis.len();
        if data.len() != want {
            return Err(crate::Error::LengthMismatch { expected: want, got: data.len() });
        }
        for (i, m) in basis.moduli().iter().enumerate() {
            let limb = &data[i * basis.degree()..(i + 1) * basis.degree()];
            if let Some(pos) = limb.iter().position(|&x| x >= m.value()) {
                return Err(crate::Error::ResidueOutOfRange { limb: i, index: pos });
            }
        }
        Ok(Self::from_raw(basis.degree(), basis.len(), data))
    }

    /// Ring degree `N`.
    pub const fn degree(&self) -> usize {
        self.degree
    }

    /// Number of RNS limbs.
    pub const fn limbs(&self) -> usize {
        self.limbs
    }

    /// All residues, limb-major.
    pub fn as_slice(&self) -> &[u64] {
        &self.data
    }

    /// All residues, limb-major, mutable. The caller keeps every residue below its prime.
    pub fn as_mut_slice(&mut self) -> &mut [u64] {
        &mut self.data
    }

    /// Residues modulo prime `i`.
    pub fn limb(&self, i: usize) -> &[u64] {
        &self.data[i * self.degree..(i + 1) * self.degree]
    }

    /// Residues modulo prime `i`, mutable.
    pub fn limb_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.degree..(i + 1) * self.degree]
    }

    /// Drops the last limbs so that `limbs` remain (modulus switching down without division).
    ///
    /// # Panics
    /// If `limbs` is zero or exceeds the current number of limbs.
    pub fn truncate(&mut self, limbs: usize) {
        assert!(limbs >= 1 && limbs <= self.limbs, "cannot truncate to {limbs} limbs");
        self.limbs = limbs;
        self.data.truncate(limbs * self.degree);
    }

    /// Keeps only the limbs with the given indices, in that order.
    pub fn select_limbs(&self, indices: &[usize]) -> Self {
        let mut data = Vec::with_capacity(indices.len() * self.degree);
        for &i in indices {
            data.extend_from_slice(self.limb(i));
        }
        Self::from_raw(self.degree, indices.len(), data)
    }

    fn check(&self, basis: &RnsBasis) {
        assert_eq!(self.limbs, basis.len(), "polynomial and basis differ in limb count");
        assert_eq!(self.degree, basis.degree(), "polynomial and basis differ in degree");
    }

    /// `self += other`.
    pub fn add_assign(&mut self, other: &Self, basis: &RnsBasis) {
        self.check(basis);
        other.check(basis);
        for (i, m) in basis.moduli().iter().enumerate() {
            let n = self.degree;
            for (a, &b) in self.data[i * n..(i + 1) * n].iter_mut().zip(&other.data[i * n..(i + 1) * n]) {
                *a = m.add(*a, b);
            }
        }
    }

    /// `self −= other`.
    pub fn sub_assign(&mut self, other: &Self, basis: &RnsBasis) {
        self.check(basis);
        other.check(basis);
        for (i, m) in basis.moduli().iter().enumerate() {
            let n = self.degree;
            for (a, &b) in self.data[i * n..(i + 1) * n].iter_mut().zip(&other.data[i * n..(i + 1) * n]) {
                *a = m.sub(*a, b);
            }
        }
    }

    /// `self = −self`.
    pub fn neg_assign(&mut self, basis: &RnsBasis) {
        self.check(basis);
        for (i, m) in basis.moduli().iter().enumerate() {
            for a in self.limb_mut(i) {
                *a = m.neg(*a);
            }
        }
    }

    /// Multiplies limb `i` by the residue `scalars[i]` (an integer constant given per RNS limb).
    ///
    /// # Panics
    /// If `scalars.len() ≠ #basis` or a scalar is not reduced.
    pub fn mul_scalar_assign(&mut self, scalars: &[u64], basis: &RnsBasis) {
        self.check(basis);
        assert_eq!(scalars.len(), basis.len());
        for (i, m) in basis.moduli().iter().enumerate() {
            let (w, ws) = (scalars[i], m.shoup(scalars[i]));
            for a in self.limb_mut(i) {
                *a = m.mul_shoup(*a, w, ws);
            }
        }
    }
}

impl Poly<Coeff> {
    /// Reduces small signed coefficients (e.g. a secret or an error) into every limb.
    ///
    /// # Panics
    /// If `coeffs.len() ≠ N`.
    pub fn from_signed(coeffs: &[i64], basis: &RnsBasis) -> Self {
        assert_eq!(coeffs.len(), basis.degree());
        let mut data = Vec::with_capacity(basis.degree() * basis.len());
        for m in basis.moduli() {
            data.extend(coeffs.iter().map(|&c| m.reduce_i64(c)));
        }
        Self::from_raw(basis.degree(), basis.len(), data)
    }

    /// Forward NTT of every limb.
    pub fn into_ntt(mut self, basis: &RnsBasis) -> Poly<Ntt> {
        self.check(basis);
        for_each_limb(&mut self.data, self.degree, |i, limb| basis.plan(i).forward(limb));
        Poly::from_raw(self.degree, self.limbs, std::mem::take(&mut self.data))
    }
}

impl Poly<Ntt> {
    /// Inverse NTT of every limb.
    pub fn into_coeff(mut self, basis: &RnsBasis) -> Poly<Coeff> {
        self.check(basis);
        for_each_limb(&mut self.data, self.degree, |i, limb| basis.plan(i).inverse(limb));
        Poly::from_raw(self.degree, self.limbs, std::mem::take(&mut self.data))
    }

    /// `self ⊙= other` (negacyclic product, pointwise in the NTT domain).
    pub fn mul_assign(&mut self, other: &Self, basis: &RnsBasis) {
        self.check(basis);
        other.check(basis);
        let n = self.degree;
        let mut tmp = vec![0u64; n];
        for i in 0..self.limbs {
            tmp.fill(0);
            basis.plan(i).mul_accumulate(
                &mut tmp,
                &self.data[i * n..(i + 1) * n],
                &other.data[i * n..(i + 1) * n],
            );
            self.data[i * n..(i + 1) * n].copy_from_slice(&tmp);
        }
    }

    /// `self += a ⊙ b`.
    pub fn add_mul_assign(&mut self, a: &Self, b: &Self, basis: &RnsBasis) {
        self.check(basis);
        a.check(basis);
        b.check(basis);
        let n = self.degree;
        for i in 0..self.limbs {
            let r = i * n..(i + 1) * n;
            basis.plan(i).mul_accumulate(&mut self.data[r.clone()], &a.data[r.clone()], &b.data[r]);
        }
    }

    /// Applies the Galois automorphism `X ↦ X^g` through per-limb slot permutations (see
    /// [`crate::NttPlan::galois_permutation`]), writing into `out`.
    ///
    /// # Panics
    /// If `perms` does not hold one permutation per limb.
    pub fn automorphism_into(&self, perms: &[Vec<u32>], out: &mut Self) {
        assert!(perms.len() >= self.limbs && out.limbs == self.limbs);
        for (i, perm) in perms.iter().enumerate().take(self.limbs) {
            let src = self.limb(i);
            let n = self.degree;
            for (o, &j) in out.data[i * n..(i + 1) * n].iter_mut().zip(perm) {
                *o = src[j as usize];
            }
        }
    }
}

/// Applies `f(i, limb_i)` to every limb, in parallel with the `parallel` feature.
pub(crate) fn for_each_limb<F: Fn(usize, &mut [u64]) + Sync + Send>(data: &mut [u64], degree: usize, f: F) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(degree).enumerate().for_each(|(i, limb)| f(i, limb));
    }
    #[cfg(not(feature = "parallel"))]
    for (i, limb) in data.chunks_mut(degree).enumerate() {
        f(i, limb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntt::naive_negacyclic_mul;
    use crate::prime::ntt_prime_chain;

    #[test]
    fn ring_product_matches_naive_on_every_limb() {
        let n = 32;
        let basis = RnsBasis::from_moduli(n, &ntt_prime_chain(&[40, 40, 50], n).unwrap()).unwrap();
        let a: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 201 - 100).collect();
        let b: Vec<i64> = (0..n as i64).map(|i| (i * 104_729) % 33 - 16).collect();
        let pa = Poly::from_signed(&a, &basis);
        let pb = Poly::from_signed(&b, &basis);
        let mut prod = pa.clone().into_ntt(&basis);
        prod.mul_assign(&pb.clone().into_ntt(&basis), &basis);
        let mut acc = Poly::<Ntt>::zero(&basis);
        acc.add_mul_assign(&pa.clone().into_ntt(&basis), &pb.clone().into_ntt(&basis), &basis);
        assert_eq!(acc, prod);
        let prod = prod.into_coeff(&basis);
        for (i, m) in basis.moduli().iter().enumerate() {
            assert_eq!(prod.limb(i), naive_negacyclic_mul(pa.limb(i), pb.limb(i), m).as_slice());
        }
        let mut s = pa.clone();
        s.add_assign(&pb, &basis);
        s.sub_assign(&pb, &basis);
        assert_eq!(s, pa);
        s.neg_assign(&basis);
        s.add_assign(&pa, &basis);
        assert_eq!(s, Poly::zero(&basis));
        let mut t = pa.clone();
        t.mul_scalar_assign(&[3, 3, 3], &basis);
        let three = Poly::from_signed(&a.iter().map(|x| 3 * x).collect::<Vec<_>>(), &basis);
        assert_eq!(t, three);
        t.truncate(2);
        assert_eq!(t.limbs(), 2);
        assert!(Poly::<Coeff>::from_residues(vec![0; 5], &basis).is_err());
    }
}
