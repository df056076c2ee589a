//! ML-DSA (FIPS 204) signatures over RustCrypto `ml-dsa`, with parameter sets as types.
//!
//! Keys use the FIPS 204 encodings: the verifying key is `pkEncode(ρ, t₁)` (Algorithm 22; 1952 bytes for
//! ML-DSA-65), signatures are `sigEncode(c̃, z, h)` (Algorithm 26; 3309 bytes), and the signing key is stored as
//! its 32-byte seed ξ (the input of `ML-DSA.KeyGen_internal`, Algorithm 6). Signing is the external "pure"
//! interface `ML-DSA.Sign(sk, M, ctx)` (Algorithm 2) with an optional context string of at most 255 bytes;
//! it is hedged (fresh 32-byte `rnd`) by default, deterministic (`rnd = 0³²`) on request.

use std::fmt;

use rand::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result, check_len};
use crate::kem::hex_prefix;

/// Length of an ML-DSA signing-key seed ξ (FIPS 204 §5.1).
pub const SEED_LEN: usize = 32;
/// Longest context string FIPS 204 Algorithm 2 accepts.
pub const MAX_CONTEXT_LEN: usize = 255;

/// An ML-DSA parameter set (FIPS 204 Table 1): [`MlDsa44`], [`MlDsa65`] or [`MlDsa87`].
///
/// Sealed: the three standard sets are the only implementations.
pub trait SignatureParameterSet:
    sealed::Backend + Copy + Default + fmt::Debug + Send + Sync + 'static
{
    /// The standard's name, e.g. `"ML-DSA-65"`.
    const NAME: &'static str;
    /// NIST security category (2, 3 or 5).
    const CATEGORY: u8;
    /// Length of an encoded verifying key in bytes.
    const VERIFYING_KEY_LEN: usize;
    /// Length of an encoded signature in bytes.
    const SIGNATURE_LEN: usize;
}

pub(crate) mod sealed {
    /// The bridge to the `ml-dsa` parameter type. Not nameable outside the crate.
    pub trait Backend {
        type Inner: ml_dsa::MlDsaParams;
    }
}

macro_rules! signature_parameter_set {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $label:literal, $cat:literal, $vk:literal, $sig:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl SignatureParameterSet for $name {
            const NAME: &'static str = $label;
            const CATEGORY: u8 = $cat;
            const VERIFYING_KEY_LEN: usize = $vk;
            const SIGNATURE_LEN: usize = $sig;
        }

        impl sealed::Backend for $name {
            type Inner = $inner;
        }
    };
}

signature_parameter_set!(
    /// ML-DSA-44: security category 2 (FIPS 204 Table 2; vk 1312 B, signature 2420 B).
    MlDsa44, ml_dsa::MlDsa44, "ML-DSA-44", 2, 1312, 2420
);
signature_parameter_set!(
    /// ML-DSA-65: security category 3, the default (FIPS 204 Table 2; vk 1952 B, signature 3309 B).
    MlDsa65, ml_dsa::MlDsa65, "ML-DSA-65", 3, 1952, 3309
);
signature_parameter_set!(
    /// ML-DSA-87: security category 5 (FIPS 204 Table 2; vk 2592 B, signature 4627 B).
    MlDsa87, ml_dsa::MlDsa87, "ML-DSA-87", 5, 2592, 4627
);

type Inner<P> = <P as sealed::Backend>::Inner;

/// An ML-DSA context string (FIPS 204 §5.2): at most 255 bytes, empty by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context<'a>(&'a [u8]);

impl<'a> Context<'a> {
    /// The empty context.
    pub const EMPTY: Context<'static> = Context(&[]);

    /// A context string.
    ///
    /// # Errors
    /// [`Error::ContextTooLong`] for more than 255 bytes.
    pub fn new(ctx: &'a [u8]) -> Result<Self> {
        if ctx.len() > MAX_CONTEXT_LEN {
            return Err(Error::ContextTooLong { len: ctx.len() });
        }
        Ok(Self(ctx))
    }

    /// The context bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// An ML-DSA signing (private) key, kept as its 32-byte seed ξ plus the expanded form.
///
/// # Security
/// Zeroized on drop (by `ml-dsa`), `Debug` prints only the parameter set, constant-time equality, not
/// `Serialize`: export with [`SigningKey::to_seed`] and store it as a secret.
pub struct SigningKey<P: SignatureParameterSet> {
    inner: ml_dsa::SigningKey<Inner<P>>,
}

impl<P: SignatureParameterSet> SigningKey<P> {
    /// `ML-DSA.KeyGen` (FIPS 204 Algorithm 1): draws the seed ξ from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rng.fill_bytes(&mut seed[..]);
        Self::from_seed_array(&seed)
    }

    /// `ML-DSA.KeyGen_internal(ξ)` (FIPS 204 Algorithm 6) from the 32-byte seed.
    ///
    /// # Errors
    /// [`Error::Length`] unless `seed` is 32 bytes.
    pub fn from_seed(seed: &[u8]) -> Result<Self> {
        check_len("ML-DSA signing-key seed", SEED_LEN, seed)?;
        let mut array = Zeroizing::new([0u8; SEED_LEN]);
        array.copy_from_slice(seed);
        Ok(Self::from_seed_array(&array))
    }

    fn from_seed_array(seed: &[u8; SEED_LEN]) -> Self {
        let xi = Zeroizing::new(ml_dsa::Seed::from(*seed));
        Self { inner: ml_dsa::SigningKey::from_seed(&xi) }
    }

    /// The 32-byte seed ξ, the portable encoding of this key.
    pub fn to_seed(&self) -> Zeroizing<[u8; SEED_LEN]> {
        Zeroizing::new(self.inner.as_seed().0)
    }

    /// The matching verifying (public) key.
    pub fn verifying_key(&self) -> VerifyingKey<P> {
        let vk: &ml_dsa::VerifyingKey<Inner<P>> = self.inner.as_ref();
        VerifyingKey { inner: vk.clone() }
    }

    /// Hedged `ML-DSA.Sign(sk, M, ctx)` (FIPS 204 Algorithm 2): fresh `rnd` from `rng`.
    ///
    /// # Errors
    /// [`Error::Signing`] if rejection sampling gives up (negligible probability).
    pub fn sign(
        &self,
        message: &[u8],
        context: Context<'_>,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Signature<P>> {
        let sig =
            self.inner.expanded_key().sign_randomized(message, context.0, rng).map_err(|_| Error::Signing)?;
        Ok(Signature::from_inner(&sig))
    }

    /// Deterministic `ML-DSA.Sign` (FIPS 204 Algorithm 2 with `rnd = {0}³²`): same key, message and context give
    /// the same signature. Prefer [`SigningKey::sign`] unless reproducibility is required (§3.4).
    ///
    /// # Errors
    /// [`Error::Signing`] if rejection sampling gives up (negligible probability).
    pub fn sign_deterministic(&self, message: &[u8], context: Context<'_>) -> Result<Signature<P>> {
        let sig =
            self.inner.expanded_key().sign_deterministic(message, context.0).map_err(|_| Error::Signing)?;
        Ok(Signature::from_inner(&sig))
    }

    pub(crate) fn inner(&self) -> &ml_dsa::SigningKey<Inner<P>> {
        &self.inner
    }
}

impl<P: SignatureParameterSet> fmt::Debug for SigningKey<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey<{}>(<redacted>)", P::NAME)
    }
}

impl<P: SignatureParameterSet> ConstantTimeEq for SigningKey<P> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.inner.as_seed().0.ct_eq(&other.inner.as_seed().0)
    }
}

impl<P: SignatureParameterSet> PartialEq for SigningKey<P> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<P: SignatureParameterSet> Eq for SigningKey<P> {}

// `ml_dsa::SigningKey` zeroizes its seed and expanded key on drop (`zeroize` feature).
impl<P: SignatureParameterSet> ZeroizeOnDrop for SigningKey<P> {}

/// An ML-DSA verifying (public) key.
pub struct VerifyingKey<P: SignatureParameterSet> {
    inner: ml_dsa::VerifyingKey<Inner<P>>,
}

impl<P: SignatureParameterSet> VerifyingKey<P> {
    /// Decodes an encoded verifying key (`pkDecode`, FIPS 204 Algorithm 23). Every byte string of the right
    /// length decodes.
    ///
    /// # Errors
    /// [`Error::Length`] for a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_len("ML-DSA verifying key", P::VERIFYING_KEY_LEN, bytes)?;
        let enc = ml_dsa::EncodedVerifyingKey::<Inner<P>>::try_from(bytes).map_err(|_| Error::Length {
            what: "ML-DSA verifying key",
            expected: P::VERIFYING_KEY_LEN,
            actual: bytes.len(),
        })?;
        Ok(Self { inner: ml_dsa::VerifyingKey::decode(&enc) })
    }

    /// The FIPS 204 encoding (`P::VERIFYING_KEY_LEN` bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.encode().to_vec()
    }

    /// `ML-DSA.Verify(pk, M, σ, ctx)` (FIPS 204 Algorithm 3).
    ///
    /// # Errors
    /// [`Error::Verification`], whatever the reason (malformed hint, `‖z‖∞` too large, wrong key, message or
    /// context).
    pub fn verify(&self, message: &[u8], context: Context<'_>, signature: &Signature<P>) -> Result<()> {
        let sig = signature.decode().ok_or(Error::Verification)?;
        if self.inner.verify_with_context(message, context.0, &sig) {
            Ok(())
        } else {
            Err(Error::Verification)
        }
    }

    pub(crate) fn inner(&self) -> &ml_dsa::VerifyingKey<Inner<P>> {
        &self.inner
    }
}

impl<P: SignatureParameterSet> Clone for VerifyingKey<P> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<P: SignatureParameterSet> PartialEq for VerifyingKey<P> {
    fn eq(&self, other: &Self) -> bool {
        self.inner.encode() == other.inner.encode()
    }
}

impl<P: SignatureParameterSet> Eq for VerifyingKey<P> {}

impl<P: SignatureParameterSet> fmt::Debug for VerifyingKey<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey<{}>({}…)", P::NAME, hex_prefix(&self.to_bytes()))
    }
}

/// An encoded ML-DSA signature. Decoding (`sigDecode`, with its hint and norm checks) happens at verification,
/// so a malformed signature is just one that does not verify.
pub struct Signature<P: SignatureParameterSet> {
    bytes: ml_dsa::EncodedSignature<Inner<P>>,
}

impl<P: SignatureParameterSet> Signature<P> {
    /// Wraps an encoded signature.
    ///
    /// # Errors
    /// [`Error::Length`] for a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_len("ML-DSA signature", P::SIGNATURE_LEN, bytes)?;
        let bytes = ml_dsa::EncodedSignature::<Inner<P>>::try_from(bytes).map_err(|_| Error::Length {
            what: "ML-DSA signature",
            expected: P::SIGNATURE_LEN,
            actual: bytes.len(),
        })?;
        Ok(Self { bytes })
    }

    /// The encoded signature (`P::SIGNATURE_LEN` bytes).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    pub(crate) fn from_inner(sig: &ml_dsa::Signature<Inner<P>>) -> Self {
        Self { bytes: sig.encode() }
    }

    pub(crate) fn decode(&self) -> Option<ml_dsa::Signature<Inner<P>>> {
        ml_dsa::Signature::decode(&self.bytes)
    }
}

impl<P: SignatureParameterSet> Clone for Signature<P> {
    fn clone(&self) -> Self {
        Self { bytes: self.bytes.clone() }
    }
}

impl<P: SignatureParameterSet> PartialEq for Signature<P> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<P: SignatureParameterSet> Eq for Signature<P> {}

impl<P: SignatureParameterSet> fmt::Debug for Signature<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature<{}>({}…)", P::NAME, hex_prefix(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_fips_204_table_2() {
        let mut rng = quantumacy_testkit::rng(3);
        let sk = SigningKey::<MlDsa65>::generate(&mut rng);
        let sig = sk.sign(b"m", Context::EMPTY, &mut rng).unwrap();
        assert_eq!(sk.verifying_key().to_bytes().len(), 1952);
        assert_eq!(sig.as_bytes().len(), 3309);
        assert_eq!(sk.to_seed().len(), 32);
    }

    #[test]
    fn context_longer_than_255_is_refused() {
        assert_eq!(Context::new(&[0; 256]), Err(Error::ContextTooLong { len: 256 }));
        assert!(Context::new(&[0; 255]).is_ok());
    }
}
