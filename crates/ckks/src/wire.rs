//! Wire format: every serialized CKKS object travels in the project's versioned envelope
//! `{format_version, kind, params, payload}` encoded with `postcard` (STYLE §5, the same shape as
//! `quantumacy-pqc`'s `wire` module), where `params` is the 32-byte [`Parameters::digest`] (SHA-256 of `N`, dnum,
//! Δ and every prime).
//!
//! Payloads hold polynomials bit-packed at each prime's width (a residue modulo a 40-bit prime costs 40 bits,
//! limb-major, least significant bit first, zero padding in the last byte) in the NTT domain the engine keeps
//! them in. Uniform halves are stored as their 32-byte seed and re-expanded on decoding
//! ([`quantumacy_math::sample::uniform_poly_from_seed`]): fresh symmetric ciphertexts `(c_0, seed)`, the public
//! key `(b, seed)`, and every digit of relinearization and Galois keys `(b_j, seed_j)`.
//!
//! Decoding takes the expected parameters and a size limit and returns a typed [`Error`] for input over the
//! limit (checked before parsing), a truncated or malformed structure, another format version (no downgrade),
//! another object kind, a parameter digest that is not the expected one, a residue not below its prime,
//! non-canonical padding, or trailing bytes. The secret key is never `Serialize`: [`SecretKey::export_secret`]
//! writes the ternary coefficients (2 bits each) into zeroizing memory.
//!
//! | kind | payload |
//! |---|---|
//! | `ckks/ciphertext` | level, scale, `c_0`, then `c_1` packed or its seed |
//! | `ckks/plaintext` | level, scale, `m` |
//! | `ckks/public-key` | `b` over `Q_L·P`, seed of `a` |
//! | `ckks/relinearization-key` | `(b_j, seed_j)` per digit over `Q_L·P` |
//! | `ckks/galois-keys` | Galois element, then `(b_j, seed_j)` per digit, by increasing element |
//! | `ckks/secret-key` | `N` ternary coefficients, 2 bits each |

use std::collections::BTreeMap;
use std::sync::Arc;

use quantumacy_math::sample::uniform_poly_from_seed;
use quantumacy_math::{Ntt, Poly, RnsBasis};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::Plaintext;
use crate::keys::{GaloisKeys, KeySwitchKey, PublicKey, RelinearizationKey, SecretKey};
use crate::{Ciphertext, Error, Parameters};

/// The only envelope format version this build writes and reads. Other versions are refused (no downgrade).
pub const FORMAT_VERSION: u16 = 1;

const CIPHERTEXT: &str = "ckks/ciphertext";
const PLAINTEXT: &str = "ckks/plaintext";
const PUBLIC_KEY: &str = "ckks/public-key";
const RELIN_KEY: &str = "ckks/relinearization-key";
const GALOIS_KEYS: &str = "ckks/galois-keys";
const SECRET_KEY: &str = "ckks/secret-key";

impl Ciphertext {
    /// Serializes the ciphertext; an unmodified fresh symmetric ciphertext is stored as `c_0` and the seed of
    /// `c_1` (half the size).
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the ciphertext belongs to other parameters.
    pub fn to_bytes(&self, params: &Parameters) -> Result<Vec<u8>, Error> {
        check(self.fingerprint, params)?;
        let basis = params.basis(self.level);
        let len = packed_len(basis);
        // The bytes of postcard's encoding of `CiphertextPayload`, written in place so the residues are packed
        // straight into the payload (a test checks the two encodings agree).
        let halves = if self.seed.is_some() { 1 } else { 2 };
        let payload = Vec::with_capacity(halves * (len + 10) + 64);
        let mut payload = postcard::to_extend(&(self.level as u32, self.scale), payload)
            .map_err(|_| Error::Malformed { what: "payload" })?;
        push_varint(&mut payload, len);
        pack_into(&self.c0, basis, &mut payload);
        match &self.seed {
            Some(seed) => {
                push_varint(&mut payload, 1); // Half::Seed
                payload.extend_from_slice(seed);
            }
            None => {
                push_varint(&mut payload, 0); // Half::Packed
                push_varint(&mut payload, len);
                pack_into(&self.c1, basis, &mut payload);
            }
        }
        seal(CIPHERTEXT, params, &payload)
    }

    /// Decodes a ciphertext for `params`, refusing input longer than `limit` bytes.
    ///
    /// # Errors
    /// [`Error::Oversize`], [`Error::Truncated`], [`Error::Malformed`], [`Error::FormatVersion`],
    /// [`Error::WrongType`], [`Error::WrongParameters`], [`Error::OutOfRange`], [`Error::TrailingBytes`].
    pub fn from_bytes(bytes: &[u8], params: &Parameters, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, CIPHERTEXT, params)?;
        let p: CiphertextPayload<'_> = from_slice_exact(payload)?;
        let level = checked_level(p.level, params)?;
        let scale = checked_scale(p.scale)?;
        let basis = params.basis(level);
        let c0 = unpack(p.c0, basis)?;
        let (c1, seed) = match p.c1 {
            Half::Packed(bytes) => (unpack(bytes, basis)?, None),
            Half::Seed(seed) => (uniform_poly_from_seed(&seed, basis), Some(seed)),
        };
        Ok(Self { c0, c1, level, scale, fingerprint: params.fingerprint(), seed })
    }
}

impl Plaintext {
    /// Serializes the plaintext.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the plaintext belongs to other parameters.
    pub fn to_bytes(&self, params: &Parameters) -> Result<Vec<u8>, Error> {
        check(self.fingerprint, params)?;
        let poly = pack(&self.poly, params.basis(self.level));
        let payload = PlaintextPayload { level: self.level as u32, scale: self.scale, poly: &poly };
        seal(PLAINTEXT, params, &to_vec(&payload)?)
    }

    /// Decodes a plaintext for `params`, refusing input longer than `limit` bytes.
    ///
    /// # Errors
    /// As [`Ciphertext::from_bytes`].
    pub fn from_bytes(bytes: &[u8], params: &Parameters, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, PLAINTEXT, params)?;
        let p: PlaintextPayload<'_> = from_slice_exact(payload)?;
        let level = checked_level(p.level, params)?;
        let scale = checked_scale(p.scale)?;
        let poly = unpack(p.poly, params.basis(level))?;
        Ok(Self { poly, level, scale, fingerprint: params.fingerprint() })
    }
}

impl PublicKey {
    /// Serializes the key as `b` and the seed of `a`.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the key belongs to other parameters.
    pub fn to_bytes(&self, params: &Parameters) -> Result<Vec<u8>, Error> {
        check(self.fingerprint, params)?;
        let b = pack(&self.b, &params.full);
        seal(PUBLIC_KEY, params, &to_vec(&SeededPair { b: &b, seed: self.seed })?)
    }

    /// Decodes a public key for `params` (re-expanding `a`), refusing input longer than `limit` bytes.
    ///
    /// # Errors
    /// As [`Ciphertext::from_bytes`].
    pub fn from_bytes(bytes: &[u8], params: &Parameters, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, PUBLIC_KEY, params)?;
        let p: SeededPair<'_> = from_slice_exact(payload)?;
        let b = unpack(p.b, &params.full)?;
        let a = uniform_poly_from_seed(&p.seed, &params.full);
        Ok(Self { b, a, seed: p.seed, fingerprint: params.fingerprint() })
    }
}

impl RelinearizationKey {
    /// Serializes the key (`b_j` and the seed of `a_j` per digit).
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the key belongs to other parameters.
    pub fn to_bytes(&self, params: &Parameters) -> Result<Vec<u8>, Error> {
        let packed = pack_switching_key(&self.0, params)?;
        seal(RELIN_KEY, params, &to_vec(&SwitchingKeyPayload { digits: seeded_pairs(&packed, &self.0) })?)
    }

    /// Decodes a relinearization key for `params`, refusing input longer than `limit` bytes.
    ///
    /// # Errors
    /// As [`Ciphertext::from_bytes`].
    pub fn from_bytes(bytes: &[u8], params: &Parameters, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, RELIN_KEY, params)?;
        let p: SwitchingKeyPayload<'_> = from_slice_exact(payload)?;
        Ok(Self(unpack_switching_key(&p, params)?))
    }
}

impl GaloisKeys {
    /// Serializes every key, by increasing Galois element.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when a key belongs to other parameters.
    pub fn to_bytes(&self, params: &Parameters) -> Result<Vec<u8>, Error> {
        let packed = self
            .keys
            .iter()
            .map(|(&g, key)| Ok((g, pack_switching_key(key, params)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let keys = packed
            .iter()
            .zip(self.keys.values())
            .map(|((g, bytes), key)| (*g as u32, SwitchingKeyPayload { digits: seeded_pairs(bytes, key) }))
            .collect();
        seal(GALOIS_KEYS, params, &to_vec(&GaloisPayload { keys })?)
    }

    /// Decodes Galois keys for `params`, refusing input longer than `limit` bytes. Elements must be odd, in
    /// `(1, 2N)` and strictly increasing (one canonical encoding per key set).
    ///
    /// # Errors
    /// As [`Ciphertext::from_bytes`]; [`Error::Malformed`] for an invalid or repeated Galois element.
    pub fn from_bytes(bytes: &[u8], params: &Parameters, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, GALOIS_KEYS, params)?;
        let p: GaloisPayload<'_> = from_slice_exact(payload)?;
        let two_n = 2 * params.degree();
        let mut keys = BTreeMap::new();
        let mut perms = BTreeMap::new();
        let mut previous = 1usize;
        for (g, key) in &p.keys {
            let g = *g as usize;
            if g.is_multiple_of(2) || g <= previous || g >= two_n {
                return Err(Error::Malformed { what: "Galois element" });
            }
            previous = g;
            keys.insert(g, unpack_switching_key(key, params)?);
            let full = &params.full;
            perms.insert(g, (0..full.len()).map(|i| full.plan(i).galois_permutation(g)).collect());
        }
        Ok(Self { keys, perms })
    }
}

impl SecretKey {
    /// Exports the secret (its `N` ternary coefficients, 2 bits each) in the envelope, in memory that is
    /// zeroized on drop.
    ///
    /// # Security
    /// The bytes are the secret key: keep them as secret as the key (encrypt them at rest).
    pub fn export_secret(&self) -> Zeroizing<Vec<u8>> {
        let mut packed = Zeroizing::new(vec![0u8; self.coeffs.len().div_ceil(4)]);
        for (i, &c) in self.coeffs.iter().enumerate() {
            // −1 ↦ 0b11, 0 ↦ 0b00, 1 ↦ 0b01.
            packed[i / 4] |= ((c & 0b11) as u8) << (2 * (i % 4));
        }
        let payload = SecretPayload { coeffs: &packed };
        let mut inner = Zeroizing::new(vec![0u8; packed.len() + 16]);
        let used = postcard::to_slice(&payload, &mut inner).map(|s| s.len()).unwrap_or(0);
        inner.truncate(used);
        let env = Envelope {
            format_version: FORMAT_VERSION,
            kind: SECRET_KEY,
            params: *self.params.digest(),
            payload: &inner,
        };
        let mut out = Zeroizing::new(vec![0u8; inner.len() + 96]);
        let used = postcard::to_slice(&env, &mut out).map(|s| s.len()).unwrap_or(0);
        // Both buffers are sized with room to spare for the fixed-size fields, so `used` is the whole encoding.
        out.truncate(used);
        out
    }

    /// Imports a secret exported by [`SecretKey::export_secret`] for `params`, refusing input longer than
    /// `limit` bytes.
    ///
    /// # Errors
    /// As [`Ciphertext::from_bytes`]; [`Error::OutOfRange`] for the unused 2-bit code `0b10`.
    pub fn import_secret(bytes: &[u8], params: &Arc<Parameters>, limit: usize) -> Result<Self, Error> {
        let payload = open(bytes, limit, SECRET_KEY, params)?;
        let p: SecretPayload<'_> = from_slice_exact(payload)?;
        let n = params.degree();
        if p.coeffs.len() != n.div_ceil(4) {
            return Err(Error::Malformed { what: "secret key length" });
        }
        let mut coeffs = vec![0i64; n];
        for (i, c) in coeffs.iter_mut().enumerate() {
            *c = match (p.coeffs[i / 4] >> (2 * (i % 4))) & 0b11 {
                0b00 => 0,
                0b01 => 1,
                0b11 => -1,
                _ => {
                    coeffs.zeroize();
                    return Err(Error::OutOfRange { limb: 0, index: i });
                }
            };
        }
        // `SecretKey` owns and zeroizes the coefficients from here on.
        Ok(Self::from_coeffs(params, coeffs))
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    format_version: u16,
    kind: &'a str,
    params: [u8; 32],
    payload: &'a [u8],
}

#[derive(Serialize, Deserialize)]
enum Half<'a> {
    Packed(&'a [u8]),
    Seed([u8; 32]),
}

#[derive(Serialize, Deserialize)]
struct CiphertextPayload<'a> {
    level: u32,
    scale: f64,
    c0: &'a [u8],
    #[serde(borrow)]
    c1: Half<'a>,
}

#[derive(Serialize, Deserialize)]
struct PlaintextPayload<'a> {
    level: u32,
    scale: f64,
    poly: &'a [u8],
}

#[derive(Serialize, Deserialize)]
struct SeededPair<'a> {
    b: &'a [u8],
    seed: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct SwitchingKeyPayload<'a> {
    #[serde(borrow)]
    digits: Vec<SeededPair<'a>>,
}

#[derive(Serialize, Deserialize)]
struct GaloisPayload<'a> {
    #[serde(borrow)]
    keys: Vec<(u32, SwitchingKeyPayload<'a>)>,
}

#[derive(Serialize, Deserialize)]
struct SecretPayload<'a> {
    coeffs: &'a [u8],
}

const fn check(fingerprint: u64, params: &Parameters) -> Result<(), Error> {
    if fingerprint == params.fingerprint() { Ok(()) } else { Err(Error::ParametersMismatch) }
}

fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    postcard::to_allocvec(value).map_err(|_| Error::Malformed { what: "payload" })
}

/// Wraps a payload in the envelope of the current format version.
fn seal(kind: &str, params: &Parameters, payload: &[u8]) -> Result<Vec<u8>, Error> {
    seal_with_version(FORMAT_VERSION, kind, params, payload)
}

fn seal_with_version(
    version: u16,
    kind: &str,
    params: &Parameters,
    payload: &[u8],
) -> Result<Vec<u8>, Error> {
    let env = Envelope { format_version: version, kind, params: *params.digest(), payload };
    postcard::to_allocvec(&env).map_err(|_| Error::Malformed { what: "envelope" })
}

/// Opens an envelope: refuses inputs over `limit` bytes before parsing, then a wrong version, kind or parameter
/// digest, and trailing bytes. Returns the payload, borrowed from `bytes`.
fn open<'a>(
    bytes: &'a [u8],
    limit: usize,
    kind: &'static str,
    params: &Parameters,
) -> Result<&'a [u8], Error> {
    if bytes.len() > limit {
        return Err(Error::Oversize { len: bytes.len(), limit });
    }
    let env: Envelope<'a> = from_slice_exact(bytes)?;
    if env.format_version != FORMAT_VERSION {
        return Err(Error::FormatVersion { found: env.format_version, expected: FORMAT_VERSION });
    }
    if env.kind != kind {
        return Err(Error::WrongType { found: env.kind.to_owned(), expected: kind });
    }
    // Public data: a variable-time comparison is fine.
    if &env.params != params.digest() {
        return Err(Error::WrongParameters);
    }
    Ok(env.payload)
}

/// `postcard` decoding that tells truncation from malformation and rejects trailing bytes.
fn from_slice_exact<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Error> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| match e {
        postcard::Error::DeserializeUnexpectedEnd => Error::Truncated,
        _ => Error::Malformed { what: "structure" },
    })?;
    if rest.is_empty() { Ok(value) } else { Err(Error::TrailingBytes { count: rest.len() }) }
}

fn checked_level(level: u32, params: &Parameters) -> Result<usize, Error> {
    let level = level as usize;
    if level > params.max_level() { Err(Error::Malformed { what: "level" }) } else { Ok(level) }
}

fn checked_scale(scale: f64) -> Result<f64, Error> {
    if scale.is_finite() && scale >= 1.0 { Ok(scale) } else { Err(Error::Malformed { what: "scale" }) }
}

fn pack_switching_key(key: &KeySwitchKey, params: &Parameters) -> Result<Vec<Vec<u8>>, Error> {
    check(key.fingerprint, params)?;
    Ok(key.digits.iter().map(|(b, _)| pack(b, &params.full)).collect())
}

fn seeded_pairs<'a>(packed: &'a [Vec<u8>], key: &KeySwitchKey) -> Vec<SeededPair<'a>> {
    packed.iter().zip(&key.seeds).map(|(b, &seed)| SeededPair { b, seed }).collect()
}

fn unpack_switching_key(p: &SwitchingKeyPayload<'_>, params: &Parameters) -> Result<KeySwitchKey, Error> {
    if p.digits.len() != params.levels[params.max_level()].digits.len() {
        return Err(Error::Malformed { what: "number of key-switching digits" });
    }
    let mut digits = Vec::with_capacity(p.digits.len());
    for d in &p.digits {
        digits.push((unpack(d.b, &params.full)?, uniform_poly_from_seed(&d.seed, &params.full)));
    }
    let seeds = p.digits.iter().map(|d| d.seed).collect();
    Ok(KeySwitchKey { digits, seeds, fingerprint: params.fingerprint() })
}

/// Bit width of each prime of `basis`.
fn widths(basis: &RnsBasis) -> impl Iterator<Item = u32> + '_ {
    basis.moduli().iter().map(|m| u64::BITS - m.value().leading_zeros())
}

/// Bytes of a polynomial over `basis` packed at each prime's bit width.
pub(crate) fn packed_len(basis: &RnsBasis) -> usize {
    (basis.degree() * widths(basis).map(|w| w as usize).sum::<usize>()).div_ceil(8)
}

/// Packs the residues limb by limb at each prime's bit width, least significant bit first.
fn pack(poly: &Poly<Ntt>, basis: &RnsBasis) -> Vec<u8> {
    let mut out = Vec::with_capacity(packed_len(basis));
    pack_into(poly, basis, &mut out);
    out
}

/// postcard's varint (LEB128) encoding of a length or enum tag.
fn push_varint(out: &mut Vec<u8>, mut x: usize) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// [`pack`], appending to `out`.
fn pack_into(poly: &Poly<Ntt>, basis: &RnsBasis, out: &mut Vec<u8>) {
    let (mut acc, mut bits) = (0u128, 0u32);
    for (i, w) in widths(basis).enumerate() {
        for &x in poly.limb(i) {
            acc |= u128::from(x) << bits;
            bits += w;
            if bits >= 64 {
                out.extend_from_slice(&(acc as u64).to_le_bytes());
                acc >>= 64;
                bits -= 64;
            }
        }
    }
    out.extend_from_slice(&(acc as u64).to_le_bytes()[..bits.div_ceil(8) as usize]);
}

/// Inverse of [`pack`]: checks the exact length, that every residue is below its prime and that the padding
/// bits are zero (one canonical encoding per polynomial).
fn unpack(bytes: &[u8], basis: &RnsBasis) -> Result<Poly<Ntt>, Error> {
    if bytes.len() != packed_len(basis) {
        return Err(Error::Malformed { what: "packed polynomial length" });
    }
    let n = basis.degree();
    let mut data = vec![0u64; n * basis.len()];
    let mut input = bytes.iter();
    let (mut acc, mut bits) = (0u128, 0u32);
    for ((i, w), m) in widths(basis).enumerate().zip(basis.moduli()) {
        let mask = (1u128 << w) - 1;
        for (index, x) in data[i * n..(i + 1) * n].iter_mut().enumerate() {
            while bits < w {
                // The length check above guarantees the bytes are there.
                let byte = input.next().copied().unwrap_or(0);
                acc |= u128::from(byte) << bits;
                bits += 8;
            }
            let v = (acc & mask) as u64;
            acc >>= w;
            bits -= w;
            if v >= m.value() {
                return Err(Error::OutOfRange { limb: i, index });
            }
            *x = v;
        }
    }
    if acc != 0 {
        return Err(Error::Malformed { what: "padding bits" });
    }
    Poly::from_residues(data, basis).map_err(Error::from)
}

#[cfg(test)]
mod tests;
