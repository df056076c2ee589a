//! CKKS parameters: ring degree, modulus chain, special primes, key-switching digits, default scale.
//!
//! A [`Parameters`] value is validated and carries every precomputation the scheme needs (NTT plans shared per
//! prime, per-level sub-bases, base converters for hybrid key switching, rescale and mod-down constants), so
//! it is built once and shared behind an [`Arc`].
//!
//! Security follows the HomomorphicEncryption.org standard (Albrecht et al., 2018, Table 1: 128-bit classical
//! security, ternary secret, σ = 3.2): `log2(QP) ≤ 27, 54, 109, 218, 438, 881` for `N = 2^10 … 2^15`.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use quantumacy_math::{BaseConverter, Modulus, RnsBasis, prime::ntt_prime_chain};

use crate::Error;

/// Maximum `log2(QP)` for 128-bit classical security, by `log2 N` (HE standard, Table 1, ternary secret).
pub const HE_STANDARD_128: [(u32, u32); 6] = [(10, 27), (11, 54), (12, 109), (13, 218), (14, 438), (15, 881)];

/// Security level of a parameter set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Security {
    /// Within the HE-standard bound for 128-bit classical security.
    Classical128 {
        /// `log2(QP)` of the parameters.
        log_qp: f64,
        /// The bound for this `N`.
        max: u32,
    },
    /// Outside the table or above the bound: for tests only.
    Insecure {
        /// `log2(QP)` of the parameters.
        log_qp: f64,
    },
}

/// Named parameter sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// `N = 8192`, chain `[49, 40, 40, 40]`, special `[49]`, dnum 4, Δ = 2^40: depth 3, `log2 QP < 218`,
    /// 128-bit (HE standard). The logistic-regression workload (`ckks.md`).
    N8192Depth3,
    /// `N = 16384`, chain `[50, 40×7]`, special `[50, 50]`, dnum 4, Δ = 2^40: depth 7, `log2 QP < 430`, 128-bit.
    N16384Depth7,
    /// `N = 32768`, chain `[50, 40×16]`, special `[50, 50, 50]`, dnum 6, Δ = 2^40: depth 16, `log2 QP < 840`,
    /// 128-bit.
    N32768Depth16,
    /// INSECURE test set: `N = 1024`, chain `[50, 40, 40, 40]`, special `[50]`, dnum 4, Δ = 2^40.
    InsecureTestN1024,
    /// INSECURE test set: `N = 4096`, chain `[50, 40, 40, 40]`, special `[50, 50]`, dnum 2, Δ = 2^40.
    InsecureTestN4096,
}

impl Preset {
    fn builder(self) -> ParametersBuilder {
        let b = Parameters::builder().scale_bits(40);
        match self {
            Self::N8192Depth3 => b.degree(8192).chain_bits(&[49, 40, 40, 40]).special_bits(&[49]).dnum(4),
            Self::N16384Depth7 => {
                b.degree(16384).chain_bits(&[50, 40, 40, 40, 40, 40, 40, 40]).special_bits(&[50, 50]).dnum(4)
            }
            Self::N32768Depth16 => {
                let mut chain = vec![50];
                chain.extend([40; 16]);
                b.degree(32768).chain_bits(&chain).special_bits(&[50, 50, 50]).dnum(6)
            }
            Self::InsecureTestN1024 => {
                b.degree(1024).chain_bits(&[50, 40, 40, 40]).special_bits(&[50]).dnum(4).allow_insecure()
            }
            Self::InsecureTestN4096 => {
                b.degree(4096).chain_bits(&[50, 40, 40, 40]).special_bits(&[50, 50]).dnum(2).allow_insecure()
            }
        }
    }
}

/// Builder for [`Parameters`]; see [`Parameters::builder`].
#[derive(Clone, Debug, Default)]
pub struct ParametersBuilder {
    degree: usize,
    chain_bits: Vec<u32>,
    special_bits: Vec<u32>,
    dnum: Option<usize>,
    scale_bits: Option<u32>,
    allow_insecure: bool,
}

impl ParametersBuilder {
    /// Ring degree `N` (a power of two).
    #[must_use]
    pub const fn degree(mut self, n: usize) -> Self {
        self.degree = n;
        self
    }

    /// Bit sizes of the data primes `q_0, …, q_L` (level `L` = length − 1 is the top level).
    #[must_use]
    pub fn chain_bits(mut self, bits: &[u32]) -> Self {
        self.chain_bits = bits.to_vec();
        self
    }

    /// Bit sizes of the special primes `P = p_0 ⋯ p_{k−1}` used only in key switching.
    #[must_use]
    pub fn special_bits(mut self, bits: &[u32]) -> Self {
        self.special_bits = bits.to_vec();
        self
    }

    /// Number of key-switching digits (default: one digit per data prime).
    #[must_use]
    pub const fn dnum(mut self, dnum: usize) -> Self {
        self.dnum = Some(dnum);
        self
    }

    /// Default scale `Δ = 2^bits` (40 if not set).
    #[must_use]
    pub const fn scale_bits(mut self, bits: u32) -> Self {
        self.scale_bits = Some(bits);
        self
    }

    /// Accept parameters outside the HE-standard table (labelled [`Security::Insecure`]).
    #[must_use]
    pub const fn allow_insecure(mut self) -> Self {
        self.allow_insecure = true;
        self
    }

    /// Validates, generates the primes deterministically and precomputes every constant.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for structural problems, [`Error::Insecure`] for a modulus above the
    /// HE-standard bound (unless [`ParametersBuilder::allow_insecure`]), [`Error::Math`] when primes run out.
    pub fn build(self) -> Result<Arc<Parameters>, Error> {
        let invalid = |reason| Err(Error::InvalidParameters { reason });
        let n = self.degree;
        if !n.is_power_of_two() || !(16..=65536).contains(&n) {
            return invalid("degree must be a power of two in [16, 65536]");
        }
        if self.chain_bits.is_empty() || self.special_bits.is_empty() {
            return invalid("need at least one data prime and one special prime");
        }
        let levels = self.chain_bits.len();
        let dnum = self.dnum.unwrap_or(levels);
        if dnum == 0 || dnum > levels {
            return invalid("dnum must be in [1, number of data primes]");
        }
        if self.chain_bits.len() + self.special_bits.len() > 64 {
            return invalid("at most 64 primes");
        }
        let scale_bits = self.scale_bits.unwrap_or(40);
        if !(1..=60).contains(&scale_bits) {
            return invalid("scale bits must be in [1, 60]");
        }
        let mut all_bits = self.chain_bits.clone();
        all_bits.extend(&self.special_bits);
        if all_bits.iter().any(|b| !(20..=61).contains(b)) {
            return invalid("prime sizes must be in [20, 61] bits");
        }
        let primes = ntt_prime_chain(&all_bits, n)?;
        let (chain, special) = primes.split_at(levels);
        let alpha = levels.div_ceil(dnum);
        let log = |ms: &[Modulus]| ms.iter().map(|m| (m.value() as f64).log2()).sum::<f64>();
        let max_digit = chain.chunks(alpha).map(log).fold(0.0, f64::max);
        if log(special) + 1.0 < max_digit {
            return invalid("special modulus P must be at least as large as every key-switching digit");
        }
        let log_qp = log(&primes);
        let bound = HE_STANDARD_128.iter().find(|(log_n, _)| 1usize << log_n == n).map(|&(_, max)| max);
        let security = match bound {
            Some(max) if log_qp <= f64::from(max) => Security::Classical128 { log_qp, max },
            Some(max) if !self.allow_insecure => return Err(Error::Insecure { degree: n, log_qp, max }),
            None if !self.allow_insecure => return invalid("degree outside the HE-standard table"),
            _ => Security::Insecure { log_qp },
        };
        Parameters::precompute(n, chain, special, dnum, 2f64.powi(scale_bits as i32), security)
    }
}

/// One key-switching digit at a given level: the data primes it covers and the conversion to the rest.
#[derive(Clone, Debug)]
pub(crate) struct Digit {
    /// Positions (within the level's extended basis) of the digit's primes.
    pub(crate) group: Vec<usize>,
    /// Positions of all other primes of the extended basis, in order.
    pub(crate) rest: Vec<usize>,
    /// Fast base conversion from the group's primes to `rest`.
    pub(crate) conv: BaseConverter,
}

/// Everything precomputed for ciphertexts at one level `ℓ` (data primes `q_0 … q_ℓ`).
#[derive(Clone, Debug)]
pub(crate) struct LevelData {
    /// `Q_ℓ`.
    pub(crate) basis: RnsBasis,
    /// `Q_ℓ ∪ P`, data primes first.
    pub(crate) ext: RnsBasis,
    /// Index in the full basis of each prime of `ext`.
    pub(crate) ext_index: Vec<usize>,
    /// Digits intersecting `Q_ℓ`.
    pub(crate) digits: Vec<Digit>,
    /// `Conv_{P → Q_ℓ}` for mod-down.
    pub(crate) mod_down: BaseConverter,
    /// `P^{-1} mod q_i` with Shoup quotient.
    pub(crate) p_inv: Vec<(u64, u64)>,
    /// `q_ℓ^{-1} mod q_i` for `i < ℓ`, with Shoup quotient (rescale by the last prime).
    pub(crate) rescale_inv: Vec<(u64, u64)>,
    /// Mod-down by `P·q_ℓ` in one step (key switching merged with the rescale); `None` at level 0.
    pub(crate) down_rescale: Option<DownRescale>,
}

/// Constants to divide `x ∈ R_{Q_ℓ P}` by `P·q_ℓ` at once (ModDown fused with rescale: Kim–Papadimitriou–Polyakov 2022, Jung et al. 2021).
#[derive(Clone, Debug)]
pub(crate) struct DownRescale {
    /// `Conv_{{q_ℓ} ∪ P → Q_{ℓ−1}}`.
    pub(crate) conv: BaseConverter,
    /// `(P·q_ℓ)^{-1} mod q_i`, `i < ℓ`, with Shoup quotient.
    pub(crate) inv: Vec<(u64, u64)>,
}

/// SHA-256 of `"quantumacy-ckks/params/v1" ‖ N ‖ dnum ‖ Δ (IEEE-754 bits) ‖ #chain ‖ q_0 … q_L ‖ #special ‖ p_0 …`, each
/// number as 8 little-endian bytes.
fn parameter_digest(
    degree: usize,
    dnum: usize,
    scale: f64,
    chain: &[Modulus],
    special: &[Modulus],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"quantumacy-ckks/params/v1");
    for w in [degree as u64, dnum as u64, scale.to_bits(), chain.len() as u64] {
        h.update(w.to_le_bytes());
    }
    for q in chain {
        h.update(q.value().to_le_bytes());
    }
    h.update((special.len() as u64).to_le_bytes());
    for p in special {
        h.update(p.value().to_le_bytes());
    }
    h.finalize().into()
}

/// Validated CKKS parameters with their precomputations. Build with [`Parameters::builder`] or
/// [`Parameters::preset`].
#[derive(Debug)]
pub struct Parameters {
    degree: usize,
    chain: Vec<Modulus>,
    special: Vec<Modulus>,
    dnum: usize,
    scale: f64,
    security: Security,
    fingerprint: u64,
    digest: [u8; 32],
    pub(crate) full: RnsBasis,
    pub(crate) levels: Vec<LevelData>,
    /// `P mod q_i` for every data prime.
    pub(crate) p_mod_q: Vec<u64>,
}

impl Parameters {
    /// A builder.
    pub fn builder() -> ParametersBuilder {
        ParametersBuilder::default()
    }

    /// A named parameter set.
    ///
    /// # Errors
    /// Never for the shipped presets; propagates [`ParametersBuilder::build`] errors.
    pub fn preset(preset: Preset) -> Result<Arc<Self>, Error> {
        preset.builder().build()
    }

    fn precompute(
        degree: usize,
        chain: &[Modulus],
        special: &[Modulus],
        dnum: usize,
        scale: f64,
        security: Security,
    ) -> Result<Arc<Self>, Error> {
        let mut all = chain.to_vec();
        all.extend_from_slice(special);
        let full = RnsBasis::from_moduli(degree, &all)?;
        let alpha = chain.len().div_ceil(dnum);
        let big_l = chain.len();
        let p_mod = |m: &Modulus| special.iter().fold(1u64, |acc, p| m.mul(acc, m.reduce(p.value())));
        let mut levels = Vec::with_capacity(big_l);
        for l in 0..big_l {
            let ext_index: Vec<usize> = (0..=l).chain(big_l..big_l + special.len()).collect();
            let ext = full.select(&ext_index);
            let basis = full.select(&(0..=l).collect::<Vec<_>>());
            let mut digits = Vec::new();
            for start in (0..=l).step_by(alpha) {
                let group: Vec<usize> = (start..(start + alpha).min(l + 1)).collect();
                let rest: Vec<usize> = (0..ext_index.len()).filter(|t| !group.contains(t)).collect();
                let from: Vec<Modulus> = group.iter().map(|&t| ext.moduli()[t]).collect();
                let to: Vec<Modulus> = rest.iter().map(|&t| ext.moduli()[t]).collect();
                digits.push(Digit { conv: BaseConverter::new(&from, &to)?, group, rest });
            }
            let mod_down = BaseConverter::new(special, &chain[..=l])?;
            let inv_shoup = |m: &Modulus, x: u64| -> Result<(u64, u64), Error> {
                let inv = m.inv(x).ok_or(Error::InvalidParameters { reason: "non-invertible prime" })?;
                Ok((inv, m.shoup(inv)))
            };
            let p_inv = chain[..=l].iter().map(|m| inv_shoup(m, p_mod(m))).collect::<Result<Vec<_>, _>>()?;
            let rescale_inv = chain[..l]
                .iter()
                .map(|m| inv_shoup(m, m.reduce(chain[l].value())))
                .collect::<Result<Vec<_>, _>>()?;
            let down_rescale = if l == 0 {
                None
            } else {
                let pq = |m: &Modulus| m.mul(p_mod(m), m.reduce(chain[l].value()));
                let mut dropped = vec![chain[l]];
                dropped.extend_from_slice(special);
                let inv = chain[..l].iter().map(|m| inv_shoup(m, pq(m))).collect::<Result<Vec<_>, _>>()?;
                Some(DownRescale { conv: BaseConverter::new(&dropped, &chain[..l])?, inv })
            };
            levels.push(LevelData {
                basis,
                ext,
                ext_index,
                digits,
                mod_down,
                p_inv,
                rescale_inv,
                down_rescale,
            });
        }
        let p_mod_q = chain.iter().map(p_mod).collect();
        let digest = parameter_digest(degree, dnum, scale, chain, special);
        // The first 8 bytes of the digest, for the cheap in-memory checks between objects.
        let fingerprint = u64::from_le_bytes([
            digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
        ]);
        Ok(Arc::new(Self {
            degree,
            chain: chain.to_vec(),
            special: special.to_vec(),
            dnum,
            scale,
            security,
            fingerprint,
            digest,
            full,
            levels,
            p_mod_q,
        }))
    }

    /// Ring degree `N`.
    pub const fn degree(&self) -> usize {
        self.degree
    }

    /// Number of complex slots, `N/2`.
    pub const fn slots(&self) -> usize {
        self.degree / 2
    }

    /// The data primes `q_0 … q_L`.
    pub fn chain(&self) -> &[Modulus] {
        &self.chain
    }

    /// The special primes.
    pub fn special(&self) -> &[Modulus] {
        &self.special
    }

    /// Top level `L` (fresh ciphertexts); level `ℓ` has `ℓ + 1` data primes.
    pub fn max_level(&self) -> usize {
        self.chain.len() - 1
    }

    /// Number of key-switching digits.
    pub const fn dnum(&self) -> usize {
        self.dnum
    }

    /// Default scale Δ.
    pub const fn scale(&self) -> f64 {
        self.scale
    }

    /// Security classification.
    pub const fn security(&self) -> Security {
        self.security
    }

    /// `log2(QP)`.
    pub fn log_qp(&self) -> f64 {
        self.full.log2_product()
    }

    /// A 64-bit fingerprint of the defining values (the first 8 bytes of [`Parameters::digest`]), to match
    /// objects with their parameters in memory.
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// SHA-256 over everything that defines the parameters (domain tag, `N`, `dnum`, the bits of Δ, every data
    /// and special prime with their counts): the parameter fingerprint of the wire format.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The data basis `Q_ℓ` at a level.
    ///
    /// # Panics
    /// If `level > L`.
    pub fn basis(&self, level: usize) -> &RnsBasis {
        &self.levels[level].basis
    }

    /// Galois element `5^steps mod 2N` of a left rotation by `steps` slots (negative: right rotation).
    pub fn galois_element(&self, steps: i64) -> usize {
        let two_n = 2 * self.degree as u64;
        let k = steps.rem_euclid(self.slots() as i64) as u64;
        let m = Modulus::new(two_n).ok();
        m.map_or(1, |m| m.pow(5, k) as usize)
    }

    /// Galois element of complex conjugation, `2N − 1`.
    pub const fn conjugation_element(&self) -> usize {
        2 * self.degree - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_report_security() {
        let p = Parameters::preset(Preset::N8192Depth3).unwrap();
        assert!(matches!(p.security(), Security::Classical128 { max: 218, .. }));
        assert!(p.log_qp() < 218.0 && p.log_qp() > 217.0, "{}", p.log_qp());
        assert_eq!(p.max_level(), 3);
        let t = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        assert!(matches!(t.security(), Security::Insecure { .. }));
        assert_ne!(p.fingerprint(), t.fingerprint());
        assert_ne!(p.digest(), t.digest());
        assert_eq!(p.digest(), Parameters::preset(Preset::N8192Depth3).unwrap().digest());
        let other_scale = Preset::N8192Depth3.builder().scale_bits(41).build().unwrap();
        assert_ne!(p.digest(), other_scale.digest());
        assert_eq!(p.galois_element(1), 5);
        assert_eq!(p.galois_element(-1), p.galois_element(4095));
    }

    #[test]
    fn deep_presets_fit_the_standard() {
        for (preset, max) in [(Preset::N16384Depth7, 438), (Preset::N32768Depth16, 881)] {
            let p = Parameters::preset(preset).unwrap();
            assert!(matches!(p.security(), Security::Classical128 { max: m, .. } if m == max));
        }
    }

    #[test]
    fn builder_rejects_bad_structure() {
        let b = || Parameters::builder().degree(8192).chain_bits(&[49, 40, 40, 40]).special_bits(&[49]);
        assert!(matches!(b().special_bits(&[60, 60]).build(), Err(Error::Insecure { degree: 8192, .. })));
        assert!(matches!(b().dnum(5).build(), Err(Error::InvalidParameters { .. })));
        assert!(matches!(b().dnum(1).build(), Err(Error::InvalidParameters { .. })));
        assert!(matches!(b().degree(1000).build(), Err(Error::InvalidParameters { .. })));
        assert!(matches!(b().special_bits(&[]).build(), Err(Error::InvalidParameters { .. })));
        assert!(matches!(b().degree(64).build(), Err(Error::InvalidParameters { .. })));
        assert!(b().degree(64).allow_insecure().build().is_ok());
    }
}
