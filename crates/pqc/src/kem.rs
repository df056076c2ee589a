//! ML-KEM (FIPS 203) key encapsulation over RustCrypto `ml-kem`, with parameter sets as types.
//!
//! Keys use the FIPS 203 encodings: the encapsulation key `ek` is `ByteEncode₁₂(t̂) ‖ ρ` (§7.1, 1184 bytes for
//! ML-KEM-768), the ciphertext `c` is `c₁ ‖ c₂` (1088 bytes), and the decapsulation key is stored as its 64-byte
//! seed `d ‖ z` (the input of `ML-KEM.KeyGen_internal`, Algorithm 16), from which the expanded key is recomputed.
//! Decapsulation of a modified ciphertext does not fail: it returns the implicit-rejection secret
//! `J(z ‖ c)` (Algorithm 18, line 8), so a forged ciphertext yields an unrelated shared secret.

use std::fmt;
use std::marker::PhantomData;

use rand::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result, check_len};

/// Length of the shared secret every ML-KEM parameter set outputs (FIPS 203 §8, 32 bytes).
pub const SHARED_SECRET_LEN: usize = 32;
/// Length of the decapsulation-key seed `d ‖ z` (FIPS 203 §7.1).
pub const SEED_LEN: usize = 64;

/// An ML-KEM parameter set (FIPS 203 Table 2): [`MlKem512`], [`MlKem768`] or [`MlKem1024`].
///
/// Sealed: the three standard sets are the only implementations.
pub trait KemParameterSet: sealed::Backend + Copy + Default + fmt::Debug + Send + Sync + 'static {
    /// The standard's name, e.g. `"ML-KEM-768"`.
    const NAME: &'static str;
    /// NIST security category (1, 3 or 5).
    const CATEGORY: u8;
    /// Length of an encoded encapsulation key in bytes.
    const ENCAPSULATION_KEY_LEN: usize;
    /// Length of a ciphertext in bytes.
    const CIPHERTEXT_LEN: usize;
}

pub(crate) mod sealed {
    use zeroize::Zeroizing;

    /// The bridge to the `ml-kem` types of one parameter set. Not nameable outside the crate.
    pub trait Backend {
        type Dk: Clone;
        type Ek: Clone + PartialEq;
        type Ct: Clone + AsRef<[u8]>;
        fn dk_from_seed(seed: &[u8; super::SEED_LEN]) -> Self::Dk;
        fn ek_of(dk: &Self::Dk) -> Self::Ek;
        fn ek_from_bytes(bytes: &[u8]) -> Option<Self::Ek>;
        fn ek_to_bytes(ek: &Self::Ek) -> Vec<u8>;
        fn ct_from_bytes(bytes: &[u8]) -> Option<Self::Ct>;
        fn encapsulate(
            ek: &Self::Ek,
            rng: &mut (impl rand::CryptoRng + ?Sized),
        ) -> (Self::Ct, Zeroizing<[u8; super::SHARED_SECRET_LEN]>);
        fn decapsulate(dk: &Self::Dk, ct: &Self::Ct) -> Zeroizing<[u8; super::SHARED_SECRET_LEN]>;
        fn encapsulate_deterministic(
            ek: &Self::Ek,
            m: &[u8; 32],
        ) -> (Self::Ct, Zeroizing<[u8; super::SHARED_SECRET_LEN]>);
        fn dk_from_expanded(bytes: &[u8]) -> Option<Self::Dk>;
        fn dk_to_expanded(dk: &Self::Dk) -> Zeroizing<Vec<u8>>;
    }
}

macro_rules! kem_parameter_set {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $label:literal, $cat:literal, $ek:literal, $ct:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl KemParameterSet for $name {
            const NAME: &'static str = $label;
            const CATEGORY: u8 = $cat;
            const ENCAPSULATION_KEY_LEN: usize = $ek;
            const CIPHERTEXT_LEN: usize = $ct;
        }

        impl sealed::Backend for $name {
            type Dk = ml_kem::DecapsulationKey<$inner>;
            type Ek = ml_kem::EncapsulationKey<$inner>;
            type Ct = ml_kem::Ciphertext<$inner>;

            #[inline]
            fn dk_from_seed(seed: &[u8; SEED_LEN]) -> Self::Dk {
                let mut s = ml_kem::Seed::from(*seed);
                let dk = ml_kem::DecapsulationKey::<$inner>::from_seed(s);
                s.zeroize();
                dk
            }

            #[inline]
            fn ek_of(dk: &Self::Dk) -> Self::Ek {
                dk.encapsulation_key().clone()
            }

            #[inline]
            fn ek_from_bytes(bytes: &[u8]) -> Option<Self::Ek> {
                let key = ml_kem::Key::<Self::Ek>::try_from(bytes).ok()?;
                ml_kem::EncapsulationKey::<$inner>::new(&key).ok()
            }

            #[inline]
            fn ek_to_bytes(ek: &Self::Ek) -> Vec<u8> {
                use ml_kem::KeyExport;
                ek.to_bytes().to_vec()
            }

            #[inline]
            fn ct_from_bytes(bytes: &[u8]) -> Option<Self::Ct> {
                Self::Ct::try_from(bytes).ok()
            }

            #[inline]
            fn encapsulate(
                ek: &Self::Ek,
                rng: &mut (impl rand::CryptoRng + ?Sized),
            ) -> (Self::Ct, Zeroizing<[u8; SHARED_SECRET_LEN]>) {
                use ml_kem::Encapsulate;
                let (ct, mut k) = ek.encapsulate_with_rng(rng);
                let out = Zeroizing::new(k.0);
                k.zeroize();
                (ct, out)
            }

            #[inline]
            fn decapsulate(dk: &Self::Dk, ct: &Self::Ct) -> Zeroizing<[u8; SHARED_SECRET_LEN]> {
                use ml_kem::Decapsulate;
                let mut k = dk.decapsulate(ct);
                let out = Zeroizing::new(k.0);
                k.zeroize();
                out
            }

            #[inline]
            fn encapsulate_deterministic(
                ek: &Self::Ek,
                m: &[u8; 32],
            ) -> (Self::Ct, Zeroizing<[u8; SHARED_SECRET_LEN]>) {
                let (ct, mut k) = ek.encapsulate_deterministic(&ml_kem::B32::from(*m));
                let out = Zeroizing::new(k.0);
                k.zeroize();
                (ct, out)
            }

            #[allow(deprecated, reason = "ACVP decapsulation vectors give the expanded key; hazmat only")]
            fn dk_from_expanded(bytes: &[u8]) -> Option<Self::Dk> {
                let enc = ml_kem::ExpandedDecapsulationKey::<$inner>::try_from(bytes).ok()?;
                ml_kem::DecapsulationKey::<$inner>::from_expanded(&enc).ok()
            }

            #[allow(deprecated, reason = "ACVP keyGen vectors give the expanded key; hazmat only")]
            fn dk_to_expanded(dk: &Self::Dk) -> Zeroizing<Vec<u8>> {
                use ml_kem::ExpandedKeyEncoding;
                let mut enc = dk.to_expanded_bytes();
                let out = Zeroizing::new(enc.to_vec());
                enc.zeroize();
                out
            }
        }
    };
}

kem_parameter_set!(
    /// ML-KEM-512: security category 1 (FIPS 203 Table 2; ek 800 B, ct 768 B).
    MlKem512, ml_kem::MlKem512, "ML-KEM-512", 1, 800, 768
);
kem_parameter_set!(
    /// ML-KEM-768: security category 3, the default (FIPS 203 Table 2; ek 1184 B, ct 1088 B).
    MlKem768, ml_kem::MlKem768, "ML-KEM-768", 3, 1184, 1088
);
kem_parameter_set!(
    /// ML-KEM-1024: security category 5 (FIPS 203 Table 2; ek 1568 B, ct 1568 B).
    MlKem1024, ml_kem::MlKem1024, "ML-KEM-1024", 5, 1568, 1568
);

/// An ML-KEM decapsulation (private) key, kept as its 64-byte seed `d ‖ z` plus the expanded form.
///
/// # Security
/// Zeroized on drop; `Debug` prints only the parameter set; equality is constant-time; not `Serialize`: export
/// with [`DecapsulationKey::to_seed`] and store it as a secret.
pub struct DecapsulationKey<P: KemParameterSet> {
    inner: P::Dk,
    ek: EncapsulationKey<P>,
    seed: Zeroizing<[u8; SEED_LEN]>,
}

impl<P: KemParameterSet> DecapsulationKey<P> {
    /// `ML-KEM.KeyGen` (FIPS 203 Algorithm 19): draws `d` then `z` (32 bytes each) from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rng.fill_bytes(&mut seed[..]);
        Self::from_seed_array(&seed)
    }

    /// `ML-KEM.KeyGen_internal(d, z)` (FIPS 203 Algorithm 16) from the 64-byte seed `d ‖ z`.
    ///
    /// # Errors
    /// [`Error::Length`] unless `seed` is 64 bytes.
    pub fn from_seed(seed: &[u8]) -> Result<Self> {
        check_len("ML-KEM decapsulation-key seed", SEED_LEN, seed)?;
        let mut array = Zeroizing::new([0u8; SEED_LEN]);
        array.copy_from_slice(seed);
        Ok(Self::from_seed_array(&array))
    }

    fn from_seed_array(seed: &[u8; SEED_LEN]) -> Self {
        let inner = P::dk_from_seed(seed);
        let ek = EncapsulationKey { inner: P::ek_of(&inner), _p: PhantomData };
        Self { inner, ek, seed: Zeroizing::new(*seed) }
    }

    /// The 64-byte seed `d ‖ z`, the portable encoding of this key.
    pub fn to_seed(&self) -> Zeroizing<[u8; SEED_LEN]> {
        self.seed.clone()
    }

    /// The matching encapsulation (public) key.
    pub fn encapsulation_key(&self) -> &EncapsulationKey<P> {
        &self.ek
    }

    /// `ML-KEM.Decaps` (FIPS 203 Algorithm 21). Never fails: a modified ciphertext gives the implicit-rejection
    /// secret, which matches no encapsulator's secret.
    pub fn decapsulate(&self, ciphertext: &Ciphertext<P>) -> SharedSecret {
        SharedSecret(P::decapsulate(&self.inner, &ciphertext.inner))
    }

    pub(crate) fn inner(&self) -> &P::Dk {
        &self.inner
    }
}

impl<P: KemParameterSet> fmt::Debug for DecapsulationKey<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecapsulationKey<{}>(<redacted>)", P::NAME)
    }
}

impl<P: KemParameterSet> ConstantTimeEq for DecapsulationKey<P> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.seed[..].ct_eq(&other.seed[..])
    }
}

impl<P: KemParameterSet> PartialEq for DecapsulationKey<P> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<P: KemParameterSet> Eq for DecapsulationKey<P> {}

// `inner` zeroizes itself on drop (ml-kem's `zeroize` feature); `seed` is `Zeroizing`.
impl<P: KemParameterSet> ZeroizeOnDrop for DecapsulationKey<P> {}

/// An ML-KEM encapsulation (public) key, validated on decoding (FIPS 203 §7.2 type and modulus checks).
pub struct EncapsulationKey<P: KemParameterSet> {
    inner: P::Ek,
    _p: PhantomData<P>,
}

impl<P: KemParameterSet> EncapsulationKey<P> {
    /// Decodes and validates an encoded encapsulation key.
    ///
    /// # Errors
    /// [`Error::Length`] for a wrong length, [`Error::Encoding`] if a coefficient is not reduced mod q.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_len("ML-KEM encapsulation key", P::ENCAPSULATION_KEY_LEN, bytes)?;
        let inner = P::ek_from_bytes(bytes).ok_or(Error::Encoding { what: "ML-KEM encapsulation key" })?;
        Ok(Self { inner, _p: PhantomData })
    }

    /// The FIPS 203 encoding (`P::ENCAPSULATION_KEY_LEN` bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        P::ek_to_bytes(&self.inner)
    }

    /// `ML-KEM.Encaps` (FIPS 203 Algorithm 20): draws the 32-byte message `m` from `rng`.
    pub fn encapsulate(&self, rng: &mut (impl CryptoRng + ?Sized)) -> (Ciphertext<P>, SharedSecret) {
        let (ct, k) = P::encapsulate(&self.inner, rng);
        (Ciphertext { inner: ct, _p: PhantomData }, SharedSecret(k))
    }

    pub(crate) fn inner(&self) -> &P::Ek {
        &self.inner
    }
}

impl<P: KemParameterSet> Clone for EncapsulationKey<P> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), _p: PhantomData }
    }
}

impl<P: KemParameterSet> PartialEq for EncapsulationKey<P> {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl<P: KemParameterSet> Eq for EncapsulationKey<P> {}

impl<P: KemParameterSet> fmt::Debug for EncapsulationKey<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        write!(f, "EncapsulationKey<{}>({}…)", P::NAME, hex_prefix(&bytes))
    }
}

/// An ML-KEM ciphertext (public).
pub struct Ciphertext<P: KemParameterSet> {
    inner: P::Ct,
    _p: PhantomData<P>,
}

impl<P: KemParameterSet> Ciphertext<P> {
    /// Wraps an encoded ciphertext. Any byte string of the right length is a ciphertext (FIPS 203 §7.3 asks
    /// only for the length check).
    ///
    /// # Errors
    /// [`Error::Length`] for a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_len("ML-KEM ciphertext", P::CIPHERTEXT_LEN, bytes)?;
        let inner = P::ct_from_bytes(bytes).ok_or(Error::Length {
            what: "ML-KEM ciphertext",
            expected: P::CIPHERTEXT_LEN,
            actual: bytes.len(),
        })?;
        Ok(Self { inner, _p: PhantomData })
    }

    /// The encoded ciphertext.
    pub fn as_bytes(&self) -> &[u8] {
        self.inner.as_ref()
    }

    pub(crate) fn inner(&self) -> &P::Ct {
        &self.inner
    }

    pub(crate) fn from_inner(inner: P::Ct) -> Self {
        Self { inner, _p: PhantomData }
    }
}

impl<P: KemParameterSet> Clone for Ciphertext<P> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), _p: PhantomData }
    }
}

impl<P: KemParameterSet> PartialEq for Ciphertext<P> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<P: KemParameterSet> Eq for Ciphertext<P> {}

impl<P: KemParameterSet> fmt::Debug for Ciphertext<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ciphertext<{}>({}…)", P::NAME, hex_prefix(self.as_bytes()))
    }
}

/// A 32-byte ML-KEM shared secret.
///
/// # Security
/// Zeroized on drop, redacted `Debug`, constant-time equality, no `Clone`, no `Serialize`.
pub struct SharedSecret(pub(crate) Zeroizing<[u8; SHARED_SECRET_LEN]>);

impl SharedSecret {
    /// The secret bytes. Feed them to a KDF; do not log or store them.
    pub fn expose_secret(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

impl ConstantTimeEq for SharedSecret {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0[..].ct_eq(&other.0[..])
    }
}

impl PartialEq for SharedSecret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SharedSecret {}

impl ZeroizeOnDrop for SharedSecret {}

pub(crate) fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_fips_203_table_3() {
        let mut rng = quantumacy_testkit::rng(1);
        let dk = DecapsulationKey::<MlKem768>::generate(&mut rng);
        assert_eq!(dk.encapsulation_key().to_bytes().len(), 1184);
        let (ct, _) = dk.encapsulation_key().encapsulate(&mut rng);
        assert_eq!(ct.as_bytes().len(), 1088);
        assert_eq!(dk.to_seed().len(), 64);
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut rng = quantumacy_testkit::rng(2);
        let dk = DecapsulationKey::<MlKem512>::generate(&mut rng);
        let (_, ss) = dk.encapsulation_key().encapsulate(&mut rng);
        assert_eq!(format!("{dk:?}"), "DecapsulationKey<ML-KEM-512>(<redacted>)");
        assert_eq!(format!("{ss:?}"), "SharedSecret(<redacted>)");
    }
}
