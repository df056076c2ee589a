//! Hybrid key establishment: a QKD key and an ML-KEM shared secret combined so the derived AEAD key stays
//! secret if *either* input does.
//!
//! Two combiners:
//! - [`seal_psk`] / [`open_psk`]: HPKE (RFC 9180) **mode_psk** with KEM = ML-KEM-768 (KEM_ID 0x0041,
//!   draft-ietf-hpke-pq), KDF = HKDF-SHA256, AEAD = AES-256-GCM, `psk` = the QKD key, `psk_id` = its key_ID.
//!   RFC 9180 §5.1 `KeySchedule` extracts `secret = LabeledExtract(shared_secret, "secret", psk)`, so the AEAD
//!   key is a PRF output keyed by both secrets. Implemented by the `hpke` crate (its RFC 9180 test vectors).
//! - [`catkdf_seal`] / [`catkdf_open`]: the ETSI TS 103 744 "CatKDF" concatenation combiner,
//!   `OKM = HKDF-SHA256(salt = session, IKM = k_QKD ‖ ss_ML-KEM, info = label ‖ ek ‖ ct ‖ key_ID ‖ ids ‖ L)`,
//!   with `OKM = key ‖ nonce` for one AES-256-GCM encryption.
//!
//! A [`QkdKey`] is single-use (ETSI GS QKD 014 delivers each key once); the functions take it by reference so
//! the caller's key manager decides when it is consumed, and the sealed-message layer refuses a reused key_ID.

use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hpke::{Deserializable, OpModeR, OpModeS, PskBundle, Serializable};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result, check_len};
use crate::kem::{Ciphertext, DecapsulationKey, EncapsulationKey, KemParameterSet, MlKem768};

/// Length of a QKD key: 256 bits.
pub const QKD_KEY_LEN: usize = 32;
/// Longest HPKE `info` accepted (RFC 9180 §7.2.1 bounds the labeled input; we keep far below it).
pub const MAX_INFO_LEN: usize = 1024;
/// AES-256-GCM tag length, the ciphertext expansion of every combiner.
pub const TAG_LEN: usize = 16;

type HpkeKem = hpke::kem::MlKem768;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::AesGcm256;

/// A QKD key identifier: the UUID `key_ID` of ETSI GS QKD 014 §6.3, as 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// A key ID from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes (big-endian UUID order).
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A random (version 4) UUID drawn from `rng`, for tests and simulated key managers.
    pub fn random(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Self(b)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    /// Parses the canonical 8-4-4-4-12 hex form (either case).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::Encoding { what: "QKD key_ID (UUID)" };
        let parts: Vec<&str> = s.split('-').collect();
        if parts.iter().map(|p| p.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let hex: String = parts.concat();
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

/// A 256-bit key delivered by a QKD key manager, with its `key_ID`.
///
/// # Security
/// Zeroized on drop, `Debug` shows only the ID, constant-time equality, no `Clone`, no `Serialize`.
pub struct QkdKey {
    id: KeyId,
    bytes: Zeroizing<[u8; QKD_KEY_LEN]>,
}

impl QkdKey {
    /// A QKD key from its ID and 32 key bytes.
    ///
    /// # Errors
    /// [`Error::Length`] unless `bytes` is 32 bytes long.
    pub fn new(id: KeyId, bytes: &[u8]) -> Result<Self> {
        check_len("QKD key", QKD_KEY_LEN, bytes)?;
        let mut key = Zeroizing::new([0u8; QKD_KEY_LEN]);
        key.copy_from_slice(bytes);
        Ok(Self { id, bytes: key })
    }

    /// A fresh random key with a random ID, standing in for a key manager in tests and examples.
    pub fn random(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let id = KeyId::random(rng);
        let mut key = Zeroizing::new([0u8; QKD_KEY_LEN]);
        rng.fill_bytes(&mut key[..]);
        Self { id, bytes: key }
    }

    /// The key's identifier.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key bytes. Feed them to a KDF; do not log or store them.
    pub fn expose_secret(&self) -> &[u8; QKD_KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for QkdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QkdKey {{ id: {}, bytes: <redacted> }}", self.id)
    }
}

impl ConstantTimeEq for QkdKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.id.0.ct_eq(&other.id.0) & self.bytes[..].ct_eq(&other.bytes[..])
    }
}

impl PartialEq for QkdKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for QkdKey {}

impl ZeroizeOnDrop for QkdKey {}

/// A hybrid ciphertext: the ML-KEM encapsulation and the AEAD ciphertext (plaintext length + 16-byte tag).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HybridCiphertext<P: KemParameterSet = MlKem768> {
    /// The ML-KEM ciphertext (HPKE's `enc`).
    pub enc: Ciphertext<P>,
    /// The AES-256-GCM ciphertext with its tag appended.
    pub ciphertext: Vec<u8>,
}

/// The recipient's public key prepared for HPKE (decoded once, reused for every message).
#[derive(Clone)]
pub struct HpkePublicKey {
    pk: <HpkeKem as hpke::Kem>::PublicKey,
}

impl HpkePublicKey {
    /// Prepares an ML-KEM-768 encapsulation key for [`seal_psk`].
    ///
    /// # Errors
    /// [`Error::Encoding`] if `hpke` rejects the key (it re-runs the FIPS 203 modulus check).
    pub fn new(ek: &EncapsulationKey<MlKem768>) -> Result<Self> {
        let pk = <HpkeKem as hpke::Kem>::PublicKey::from_bytes(&ek.to_bytes())
            .map_err(|_| Error::Encoding { what: "ML-KEM encapsulation key" })?;
        Ok(Self { pk })
    }
}

impl fmt::Debug for HpkePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HpkePublicKey<ML-KEM-768>")
    }
}

/// The recipient's private key prepared for HPKE (expanded once from the seed, reused for every message).
///
/// # Security
/// Zeroized on drop (by `hpke`/`ml-kem`), redacted `Debug`, not `Serialize`.
pub struct HpkePrivateKey {
    sk: <HpkeKem as hpke::Kem>::PrivateKey,
}

impl HpkePrivateKey {
    /// Prepares an ML-KEM-768 decapsulation key for [`open_psk`]. The HPKE private key is the same 64-byte seed
    /// (draft-ietf-hpke-pq §3, `Nsk = 64`).
    ///
    /// # Errors
    /// [`Error::Encoding`] if `hpke` rejects the seed (it cannot for a 64-byte seed).
    pub fn new(dk: &DecapsulationKey<MlKem768>) -> Result<Self> {
        let seed = dk.to_seed();
        let sk = <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(&seed[..])
            .map_err(|_| Error::Encoding { what: "ML-KEM decapsulation-key seed" })?;
        Ok(Self { sk })
    }
}

impl fmt::Debug for HpkePrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HpkePrivateKey<ML-KEM-768>(<redacted>)")
    }
}

impl ZeroizeOnDrop for HpkePrivateKey {}

fn check_info(info: &[u8]) -> Result<()> {
    if info.len() > MAX_INFO_LEN {
        return Err(Error::TooLong { what: "HPKE info", len: info.len(), limit: MAX_INFO_LEN });
    }
    Ok(())
}

/// HPKE `SealPSK(pkR, info, aad, pt, psk, psk_id)` (RFC 9180 §6.1) with ML-KEM-768, HKDF-SHA256,
/// AES-256-GCM; `psk` = the QKD key, `psk_id` = its key_ID.
///
/// # Errors
/// [`Error::TooLong`] for an `info` over [`MAX_INFO_LEN`]; [`Error::Encryption`] if HPKE fails.
pub fn seal_psk(
    recipient: &HpkePublicKey,
    qkd: &QkdKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<HybridCiphertext> {
    check_info(info)?;
    let bundle = PskBundle::new(&qkd.bytes[..], &qkd.id.0).map_err(|_| Error::Encryption)?;
    let mode = OpModeS::Psk(bundle);
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<HpkeAead, HpkeKdf, HpkeKem>(
        &mode,
        &recipient.pk,
        info,
        plaintext,
        aad,
        &mut RngRef(rng),
    )
    .map_err(|_| Error::Encryption)?;
    let enc = Ciphertext::from_bytes(&enc.to_bytes())?;
    Ok(HybridCiphertext { enc, ciphertext })
}

/// HPKE `OpenPSK(enc, skR, info, aad, ct, psk, psk_id)` (RFC 9180 §6.1), the inverse of [`seal_psk`].
///
/// The plaintext comes back as a plain `Vec` (it is data, not key material); wrap it in
/// [`Zeroizing`] if it must be wiped — for 1 MiB that costs about as much as the decryption itself.
///
/// # Errors
/// [`Error::Decryption`], opaque: wrong private key, wrong QKD key or ID, other `info` or `aad`, or tampering.
/// [`Error::TooLong`] for an `info` over [`MAX_INFO_LEN`].
pub fn open_psk(
    recipient: &HpkePrivateKey,
    qkd: &QkdKey,
    info: &[u8],
    aad: &[u8],
    sealed: &HybridCiphertext,
) -> Result<Vec<u8>> {
    check_info(info)?;
    let bundle = PskBundle::new(&qkd.bytes[..], &qkd.id.0).map_err(|_| Error::Decryption)?;
    let mode = OpModeR::Psk(bundle);
    let enc = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(sealed.enc.as_bytes())
        .map_err(|_| Error::Decryption)?;
    hpke::single_shot_open::<HpkeAead, HpkeKdf, HpkeKem>(
        &mode,
        &recipient.sk,
        &enc,
        info,
        &sealed.ciphertext,
        aad,
    )
    .map_err(|_| Error::Decryption)
}

/// Adapts `&mut impl CryptoRng + ?Sized` to the sized `impl CryptoRng` `hpke` asks for.
struct RngRef<'a, R: CryptoRng + ?Sized>(&'a mut R);

impl<R: CryptoRng + ?Sized> rand::TryRng for RngRef<'_, R> {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> std::result::Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> std::result::Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand::TryCryptoRng for RngRef<'_, R> {}

/// The label that starts the CatKDF `info` (domain separation from every other use of HKDF here).
pub const CATKDF_LABEL: &[u8] = b"quantumacy/v1 CatKDF ML-KEM+QKD AES-256-GCM";
/// Length of the CatKDF output: a 32-byte AES-256 key and a 12-byte GCM nonce.
pub const CATKDF_OKM_LEN: usize = 44;

/// The public inputs CatKDF binds: the session (HKDF salt) and the parties' identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatKdfContext<'a> {
    /// The session identifier, used as the HKDF salt.
    pub session: &'a [u8],
    /// The parties' identities (e.g. sender ‖ receiver), bound into `info`.
    pub ids: &'a [u8],
}

/// The ETSI TS 103 744 CatKDF combiner:
/// `HKDF-SHA256(salt = session, IKM = k_QKD ‖ ss, info = label ‖ ek ‖ ct ‖ key_ID ‖ len(ids) ‖ ids ‖ L)`,
/// `L = 44` as a 2-byte big-endian integer. Returns `key ‖ nonce`.
///
/// # Errors
/// [`Error::TooLong`] if `ids` is longer than 65535 bytes.
pub fn catkdf_derive<P: KemParameterSet>(
    qkd: &QkdKey,
    shared_secret: &crate::kem::SharedSecret,
    ek: &EncapsulationKey<P>,
    ct: &Ciphertext<P>,
    context: CatKdfContext<'_>,
) -> Result<Zeroizing<[u8; CATKDF_OKM_LEN]>> {
    let ids_len = u16::try_from(context.ids.len()).map_err(|_| Error::TooLong {
        what: "CatKDF ids",
        len: context.ids.len(),
        limit: usize::from(u16::MAX),
    })?;
    let mut extract = hkdf::HkdfExtract::<Sha256>::new(Some(context.session));
    extract.input_ikm(&qkd.bytes[..]);
    extract.input_ikm(shared_secret.expose_secret());
    let (_, hk) = extract.finalize();
    let ek_bytes = ek.to_bytes();
    let len = u16::try_from(CATKDF_OKM_LEN).unwrap_or(u16::MAX).to_be_bytes();
    let mut okm = Zeroizing::new([0u8; CATKDF_OKM_LEN]);
    hk.expand_multi_info(
        &[CATKDF_LABEL, &ek_bytes, ct.as_bytes(), &qkd.id.0, &ids_len.to_be_bytes(), context.ids, &len],
        &mut okm[..],
    )
    .map_err(|_| Error::Encryption)?;
    Ok(okm)
}

fn catkdf_aead(okm: &[u8; CATKDF_OKM_LEN]) -> (Aes256Gcm, Nonce<aes_gcm::aead::consts::U12>) {
    let (key, nonce) = okm.split_at(32);
    let mut key_arr = Zeroizing::new([0u8; 32]);
    key_arr.copy_from_slice(key);
    let mut nonce_arr = [0u8; 12];
    nonce_arr.copy_from_slice(nonce);
    (Aes256Gcm::new(&(*key_arr).into()), nonce_arr.into())
}

/// Encapsulates to `ek`, derives `key ‖ nonce` with [`catkdf_derive`] and encrypts once with AES-256-GCM.
///
/// # Errors
/// [`Error::TooLong`] for oversized `ids`; [`Error::Encryption`] if the AEAD refuses (plaintext ≥ 64 GiB).
pub fn catkdf_seal<P: KemParameterSet>(
    ek: &EncapsulationKey<P>,
    qkd: &QkdKey,
    context: CatKdfContext<'_>,
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<HybridCiphertext<P>> {
    let (enc, ss) = ek.encapsulate(rng);
    let okm = catkdf_derive(qkd, &ss, ek, &enc, context)?;
    let (aead, nonce) = catkdf_aead(&okm);
    let ciphertext = aead.encrypt(&nonce, Payload { msg: plaintext, aad }).map_err(|_| Error::Encryption)?;
    Ok(HybridCiphertext { enc, ciphertext })
}

/// The inverse of [`catkdf_seal`]. Like [`open_psk`], returns the plaintext as a plain `Vec`.
///
/// # Errors
/// [`Error::Decryption`], opaque, for any wrong key, context, `aad` or tampering; [`Error::TooLong`] for
/// oversized `ids`.
pub fn catkdf_open<P: KemParameterSet>(
    dk: &DecapsulationKey<P>,
    qkd: &QkdKey,
    context: CatKdfContext<'_>,
    aad: &[u8],
    sealed: &HybridCiphertext<P>,
) -> Result<Vec<u8>> {
    let ss = dk.decapsulate(&sealed.enc);
    let okm = catkdf_derive(qkd, &ss, dk.encapsulation_key(), &sealed.enc, context)?;
    let (aead, nonce) = catkdf_aead(&okm);
    aead.decrypt(&nonce, Payload { msg: &sealed.ciphertext, aad }).map_err(|_| Error::Decryption)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_round_trips_through_its_uuid_form() {
        let id: KeyId = "550e8400-e29b-41d4-a716-446655440000".parse().unwrap();
        assert_eq!(id.to_string(), "550e8400-e29b-41d4-a716-446655440000");
        assert!("550e8400e29b41d4a716446655440000".parse::<KeyId>().is_err());
        assert!("550e8400-e29b-41d4-a716-44665544000g".parse::<KeyId>().is_err());
    }

    #[test]
    fn qkd_key_debug_shows_only_the_id() {
        let key = QkdKey::new(KeyId::from_bytes([7; 16]), &[0xAB; 32]).unwrap();
        let text = format!("{key:?}");
        assert!(!text.contains("ab") && !text.contains("AB") && !text.contains("171"), "{text}");
        assert!(QkdKey::new(KeyId::from_bytes([7; 16]), &[0; 31]).is_err());
    }
}
