//! The FIPS 203/204 *internal* and legacy interfaces, for conformance testing against NIST ACVP vectors.
//!
//! # Security
//! Nothing here belongs in a protocol. Deterministic encapsulation with a reused `m` leaks the shared secret;
//! expanded keys are the deprecated encodings (FIPS 203 §7.1 and FIPS 204 §7.2 recommend seeds); the
//! `*_internal` functions skip the domain separator and context of the external interfaces. Expanded ML-DSA
//! signing keys are not validated by `ml-dsa` and may panic on malformed input.

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::kem::{self, Ciphertext, DecapsulationKey, EncapsulationKey, KemParameterSet, SharedSecret};
use crate::sign::{self, Signature, SignatureParameterSet, SigningKey, VerifyingKey};

/// `ML-KEM.Encaps_internal(ek, m)` (FIPS 203 Algorithm 17) with caller-chosen randomness `m`.
pub fn encapsulate_deterministic<P: KemParameterSet>(
    ek: &EncapsulationKey<P>,
    m: &[u8; 32],
) -> (Ciphertext<P>, SharedSecret) {
    let (ct, k) = P::encapsulate_deterministic(ek.inner(), m);
    (Ciphertext::from_inner(ct), SharedSecret(k))
}

/// The expanded decapsulation key `dk_PKE ‖ ek ‖ H(ek) ‖ z` (FIPS 203 Algorithm 16, line 3).
pub fn expanded_decapsulation_key<P: KemParameterSet>(dk: &DecapsulationKey<P>) -> Zeroizing<Vec<u8>> {
    P::dk_to_expanded(dk.inner())
}

/// A decapsulation key imported from its expanded encoding (no seed is known).
pub struct ExpandedDecapsulationKey<P: KemParameterSet> {
    inner: <P as kem::sealed::Backend>::Dk,
}

impl<P: KemParameterSet> ExpandedDecapsulationKey<P> {
    /// Imports an expanded key, running the FIPS 203 §7.3 hash check `H(ek) = h`.
    ///
    /// # Errors
    /// [`Error::Encoding`] for a wrong length or a failed check.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = P::dk_from_expanded(bytes)
            .ok_or(Error::Encoding { what: "expanded ML-KEM decapsulation key" })?;
        Ok(Self { inner })
    }

    /// `ML-KEM.Decaps_internal` (FIPS 203 Algorithm 18).
    pub fn decapsulate(&self, ciphertext: &Ciphertext<P>) -> SharedSecret {
        SharedSecret(P::decapsulate(&self.inner, ciphertext.inner()))
    }
}

impl<P: KemParameterSet> std::fmt::Debug for ExpandedDecapsulationKey<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExpandedDecapsulationKey<{}>(<redacted>)", P::NAME)
    }
}

/// The expanded signing key `skEncode(ρ, K, tr, s₁, s₂, t₀)` (FIPS 204 Algorithm 24).
#[allow(deprecated, reason = "ACVP keyGen vectors give the expanded key; hazmat only")]
pub fn expanded_signing_key<P: SignatureParameterSet>(sk: &SigningKey<P>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(sk.inner().expanded_key().to_expanded().to_vec())
}

/// `ML-DSA.Sign_internal(sk, M′, rnd)` (FIPS 204 Algorithm 7) with an expanded signing key.
///
/// # Errors
/// [`Error::Encoding`] for a wrong key length.
///
/// # Panics
/// `ml-dsa` does not validate expanded keys; a malformed one may panic.
#[allow(deprecated, reason = "ACVP sigGen vectors give the expanded key; hazmat only")]
pub fn sign_internal<P: SignatureParameterSet>(
    expanded_sk: &[u8],
    message: &[u8],
    rnd: &[u8; 32],
) -> Result<Signature<P>> {
    type Inner<P> = <P as sign::sealed::Backend>::Inner;
    let enc = ml_dsa::ExpandedSigningKeyBytes::<Inner<P>>::try_from(expanded_sk)
        .map_err(|_| Error::Encoding { what: "expanded ML-DSA signing key" })?;
    let sk = ml_dsa::ExpandedSigningKey::<Inner<P>>::from_expanded(&enc);
    let sig = sk.sign_internal(&[message], &ml_dsa::B32::from(*rnd));
    Ok(Signature::from_inner(&sig))
}

/// `ML-DSA.Verify_internal(pk, M′, σ)` (FIPS 204 Algorithm 8).
///
/// # Errors
/// [`Error::Verification`] if σ does not decode or does not verify.
pub fn verify_internal<P: SignatureParameterSet>(
    vk: &VerifyingKey<P>,
    message: &[u8],
    signature: &Signature<P>,
) -> Result<()> {
    let sig = signature.decode().ok_or(Error::Verification)?;
    if vk.inner().verify_internal(message, &sig) { Ok(()) } else { Err(Error::Verification) }
}
