//! Sealed, signed messages: the envelope a federated-learning party sends another.
//!
//! A message is `{header, enc, ciphertext, signature}` in the crate's versioned postcard envelope, where
//! - `header` = {format version, sender, receiver, session, round, sequence number, QKD key_ID};
//! - `(enc, ciphertext)` = HPKE mode_psk (ML-KEM-768, HKDF-SHA256, AES-256-GCM) of the plaintext with
//!   `psk` = the QKD key, `psk_id` = key_ID, `info` = `"quantumacy/v1" ‖ session ‖ round ‖ sender ‖ receiver`
//!   and `aad` = the encoded header ([`crate::hybrid::seal_psk`]);
//! - `signature` = ML-DSA-65 over `header ‖ enc ‖ SHA-256(ciphertext)` with context [`SIGNATURE_CONTEXT`].
//!
//! The [`Receiver`] checks, in this order, size limit, envelope version/kind/suite, addressee, known sender,
//! replay of (sender, session, round, sequence), reuse of the key_ID, the signature, and only then fetches the
//! QKD key and decrypts. Each failure is a typed [`Error`] for the local caller; a peer is only told
//! [`crate::Rejected`]. State (seen sequence numbers, used key IDs) changes only when a message is accepted.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::hybrid::{self, HpkePrivateKey, HpkePublicKey, HybridCiphertext, KeyId, QkdKey};
use crate::kem::{Ciphertext, DecapsulationKey, EncapsulationKey, KemParameterSet, MlKem768};
use crate::sign::{Context, MlDsa65, Signature, SignatureParameterSet, SigningKey, VerifyingKey};
use crate::wire;
pub use crate::wire::FORMAT_VERSION;

/// The envelope kind of a sealed message.
pub const KIND: &str = "quantumacy-pqc/SealedMessage";
/// The algorithm suite of format version 1.
pub const SUITE: &str = "HPKE-mode_psk(ML-KEM-768,HKDF-SHA256,AES-256-GCM)+ML-DSA-65";
/// The ML-DSA context string of the message signature (FIPS 204 §5.2 domain separation).
pub const SIGNATURE_CONTEXT: &[u8] = b"quantumacy/v1 sealed-message";
/// Prefix of the HPKE `info`.
pub const INFO_LABEL: &[u8] = b"quantumacy/v1";
/// Default decoder size limit: 64 MiB.
pub const DEFAULT_MAX_LEN: usize = 64 << 20;

/// A party (hospital, aggregator) in a federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartyId(pub u64);

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A session identifier (128 bits, e.g. random per training run).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionId(pub [u8; 16]);

impl SessionId {
    /// A random session identifier.
    pub fn random(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Self(b)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// Where a message sits in the protocol: session, federated round, and the sender's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The session.
    pub session: SessionId,
    /// The federated-learning round.
    pub round: u64,
    /// The sender's sequence number within (session, round).
    pub sequence: u64,
}

/// The signed, authenticated-but-unencrypted header of a sealed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The format version the sender wrote ([`FORMAT_VERSION`]).
    pub format_version: u16,
    /// Who sealed and signed it.
    pub sender: PartyId,
    /// Who may open it.
    pub receiver: PartyId,
    /// The session.
    pub session: SessionId,
    /// The federated round.
    pub round: u64,
    /// The sender's sequence number.
    pub sequence: u64,
    /// The QKD key used as HPKE psk.
    pub key_id: KeyId,
}

impl Header {
    fn encode(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(self).map_err(|_| Error::Malformed { what: "header" })
    }

    fn info(&self) -> Vec<u8> {
        let mut info = Vec::with_capacity(INFO_LABEL.len() + 16 + 24);
        info.extend_from_slice(INFO_LABEL);
        info.extend_from_slice(&self.session.0);
        info.extend_from_slice(&self.round.to_be_bytes());
        info.extend_from_slice(&self.sender.0.to_be_bytes());
        info.extend_from_slice(&self.receiver.0.to_be_bytes());
        info
    }

    fn route(&self) -> (PartyId, SessionId, u64, u64) {
        (self.sender, self.session, self.round, self.sequence)
    }
}

#[derive(Serialize, Deserialize)]
struct Body<'a> {
    header: Header,
    enc: &'a [u8],
    ciphertext: &'a [u8],
    signature: &'a [u8],
}

/// The message the ML-DSA signature covers: `len(header) ‖ header ‖ enc ‖ SHA-256(ciphertext)`.
fn signed_message(header_bytes: &[u8], enc: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + header_bytes.len() + enc.len() + 32);
    m.extend_from_slice(&(header_bytes.len() as u64).to_be_bytes());
    m.extend_from_slice(header_bytes);
    m.extend_from_slice(enc);
    m.extend_from_slice(&Sha256::digest(ciphertext));
    m
}

/// A receiver as the sender knows it: identity and ML-KEM-768 encapsulation key (prepared for HPKE).
#[derive(Debug, Clone)]
pub struct Recipient {
    id: PartyId,
    public_key: HpkePublicKey,
}

impl Recipient {
    /// A recipient from its identity and encapsulation key.
    ///
    /// # Errors
    /// [`Error::Encoding`] if the key is rejected by HPKE.
    pub fn new(id: PartyId, ek: &EncapsulationKey<MlKem768>) -> Result<Self> {
        Ok(Self { id, public_key: HpkePublicKey::new(ek)? })
    }

    /// The recipient's identity.
    pub fn id(&self) -> PartyId {
        self.id
    }
}

/// A party that seals and signs messages.
#[derive(Debug)]
pub struct Sender {
    id: PartyId,
    signing_key: SigningKey<MlDsa65>,
}

impl Sender {
    /// A sender with its identity and ML-DSA-65 signing key.
    pub fn new(id: PartyId, signing_key: SigningKey<MlDsa65>) -> Self {
        Self { id, signing_key }
    }

    /// The sender's identity.
    pub fn id(&self) -> PartyId {
        self.id
    }

    /// The verifying key receivers must [`Receiver::trust`].
    pub fn verifying_key(&self) -> VerifyingKey<MlDsa65> {
        self.signing_key.verifying_key()
    }

    /// Seals `plaintext` for `to` under the single-use QKD key `qkd` (consumed), signs, and serializes.
    ///
    /// # Errors
    /// [`Error::Encryption`] or [`Error::Signing`] if a primitive fails (negligible probability).
    pub fn seal(
        &self,
        to: &Recipient,
        route: Route,
        qkd: QkdKey,
        plaintext: &[u8],
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>> {
        self.seal_versioned(FORMAT_VERSION, FORMAT_VERSION, to, route, &qkd, plaintext, rng)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "internal twin of `seal` that tests use to forge old versions"
    )]
    pub(crate) fn seal_versioned(
        &self,
        envelope_version: u16,
        header_version: u16,
        to: &Recipient,
        route: Route,
        qkd: &QkdKey,
        plaintext: &[u8],
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>> {
        let header = Header {
            format_version: header_version,
            sender: self.id,
            receiver: to.id,
            session: route.session,
            round: route.round,
            sequence: route.sequence,
            key_id: qkd.id(),
        };
        let header_bytes = header.encode()?;
        let sealed = hybrid::seal_psk(&to.public_key, qkd, &header.info(), &header_bytes, plaintext, rng)?;
        let m = signed_message(&header_bytes, sealed.enc.as_bytes(), &sealed.ciphertext);
        let context = Context::new(SIGNATURE_CONTEXT)?;
        let signature = self.signing_key.sign(&m, context, rng)?;
        let body = Body {
            header,
            enc: sealed.enc.as_bytes(),
            ciphertext: &sealed.ciphertext,
            signature: signature.as_bytes(),
        };
        let payload =
            postcard::to_allocvec(&body).map_err(|_| Error::Malformed { what: "sealed message" })?;
        wire::encode_with_version(envelope_version, KIND, SUITE, &payload)
    }
}

/// An accepted message.
#[derive(Debug)]
pub struct Opened {
    /// The verified header.
    pub header: Header,
    /// The decrypted plaintext, zeroized on drop (model updates derive from patient data).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// A party that opens sealed messages addressed to it, with replay and key-reuse protection.
pub struct Receiver {
    id: PartyId,
    private_key: HpkePrivateKey,
    senders: HashMap<PartyId, VerifyingKey<MlDsa65>>,
    seen: HashSet<(PartyId, SessionId, u64, u64)>,
    used_keys: HashSet<KeyId>,
    max_len: usize,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("id", &self.id)
            .field("senders", &self.senders.len())
            .field("accepted", &self.seen.len())
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver with its identity and ML-KEM-768 decapsulation key, trusting no sender yet.
    ///
    /// # Errors
    /// [`Error::Encoding`] if HPKE rejects the key.
    pub fn new(id: PartyId, dk: &DecapsulationKey<MlKem768>) -> Result<Self> {
        Ok(Self {
            id,
            private_key: HpkePrivateKey::new(dk)?,
            senders: HashMap::new(),
            seen: HashSet::new(),
            used_keys: HashSet::new(),
            max_len: DEFAULT_MAX_LEN,
        })
    }

    /// Sets the decoder size limit (default [`DEFAULT_MAX_LEN`]).
    #[must_use]
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Accepts messages signed by `sender` with `key`.
    pub fn trust(&mut self, sender: PartyId, key: VerifyingKey<MlDsa65>) {
        self.senders.insert(sender, key);
    }

    /// The receiver's identity.
    pub fn id(&self) -> PartyId {
        self.id
    }

    /// Verifies and opens a serialized message. `qkd_keys` is asked for the key named in the header (the
    /// ETSI GS QKD 014 `dec_keys` call) only after the signature has verified.
    ///
    /// # Errors
    /// [`Error::Oversize`], [`Error::Malformed`], [`Error::FormatVersion`], [`Error::WrongType`],
    /// [`Error::WrongReceiver`], [`Error::UnknownSender`], [`Error::Replay`], [`Error::KeyReuse`],
    /// [`Error::Verification`], [`Error::MissingKey`], [`Error::KeyIdMismatch`], [`Error::Decryption`]. Report
    /// only [`Error::for_peer`] to the sender.
    pub fn open(&mut self, bytes: &[u8], qkd_keys: impl FnOnce(KeyId) -> Option<QkdKey>) -> Result<Opened> {
        let payload = wire::decode(bytes, self.max_len, KIND, SUITE)?;
        let body: Body<'_> = wire::from_bytes_exact(payload, "sealed message")?;
        let header = body.header;
        if header.format_version != FORMAT_VERSION {
            return Err(Error::FormatVersion { found: header.format_version, expected: FORMAT_VERSION });
        }
        if header.receiver != self.id {
            return Err(Error::WrongReceiver { found: header.receiver.0, expected: self.id.0 });
        }
        let vk = self.senders.get(&header.sender).ok_or(Error::UnknownSender(header.sender.0))?;
        if self.seen.contains(&header.route()) {
            return Err(Error::Replay {
                session: header.session.to_string(),
                round: header.round,
                sequence: header.sequence,
            });
        }
        if self.used_keys.contains(&header.key_id) {
            return Err(Error::KeyReuse(header.key_id.to_string()));
        }
        if body.enc.len() != MlKem768::CIPHERTEXT_LEN || body.signature.len() != MlDsa65::SIGNATURE_LEN {
            return Err(Error::Malformed { what: "sealed message" });
        }
        let header_bytes = header.encode()?;
        let m = signed_message(&header_bytes, body.enc, body.ciphertext);
        let signature = Signature::<MlDsa65>::from_bytes(body.signature)?;
        vk.verify(&m, Context::new(SIGNATURE_CONTEXT)?, &signature)?;

        let qkd = qkd_keys(header.key_id).ok_or_else(|| Error::MissingKey(header.key_id.to_string()))?;
        if qkd.id() != header.key_id {
            return Err(Error::KeyIdMismatch {
                expected: header.key_id.to_string(),
                found: qkd.id().to_string(),
            });
        }
        let sealed =
            HybridCiphertext { enc: Ciphertext::from_bytes(body.enc)?, ciphertext: body.ciphertext.to_vec() };
        let plaintext = Zeroizing::new(hybrid::open_psk(
            &self.private_key,
            &qkd,
            &header.info(),
            &header_bytes,
            &sealed,
        )?);
        self.seen.insert(header.route());
        self.used_keys.insert(header.key_id);
        Ok(Opened { header, plaintext })
    }
}

#[cfg(test)]
#[path = "sealed_attacks.rs"]
mod attacks;
