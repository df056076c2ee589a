//! Alice's side: answers parity requests from prefix parities of her (fixed) key, then sends the
//! verification hash.

use rand::CryptoRng;

use super::messages::{AliceMessage, BobMessage, ParityQuery, SessionParams};
use super::schedule::{MAX_PASSES, permutation};
use super::verify;
use crate::{BitVec, Error, Result};

/// Alice's Cascade state machine: holds only her key; answers [`BobMessage`]s in order.
///
/// Each pass's shuffle is rebuilt from the session seed on first use, with the prefix parities
/// `P[j] = ⊕_{i<j} a[perm[i]]` packed in words, so every range parity is `P[end] ⊕ P[start]`, O(1).
pub struct AliceCascade {
    key: BitVec,
    hash_key: [u8; 16],
    params: Option<SessionParams>,
    /// Prefix parities per pass, built lazily (bit j of the packed words is P[j], j = 0..=n).
    prefix: Vec<Option<Vec<u64>>>,
    next_step: u32,
    finished: bool,
    disclosed: u64,
}

impl std::fmt::Debug for AliceCascade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliceCascade")
            .field("key", &self.key)
            .field("next_step", &self.next_step)
            .field("finished", &self.finished)
            .field("disclosed_bits", &self.disclosed)
            .finish_non_exhaustive()
    }
}

impl Drop for AliceCascade {
    fn drop(&mut self) {
        self.key.zeroize();
        for p in self.prefix.iter_mut().flatten() {
            zeroize::Zeroize::zeroize(p);
        }
    }
}

impl AliceCascade {
    /// Alice with her frame `key`; the verification-hash key is drawn from `rng` now and revealed only in the
    /// last message.
    ///
    /// # Errors
    /// [`Error::EmptyKey`] for an empty key, [`Error::Unsupported`] above u32::MAX bits.
    pub fn new(key: BitVec, rng: &mut impl CryptoRng) -> Result<AliceCascade> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if u32::try_from(key.len()).is_err() {
            return Err(Error::Unsupported { detail: "frames longer than 2^32 − 1 bits".into() });
        }
        let mut hash_key = [0u8; 16];
        rng.fill_bytes(&mut hash_key);
        Ok(AliceCascade {
            key,
            hash_key,
            params: None,
            prefix: Vec::new(),
            next_step: 0,
            finished: false,
            disclosed: 0,
        })
    }

    /// Alice's key (never changed by the protocol).
    pub fn key(&self) -> &BitVec {
        &self.key
    }

    /// Key-dependent bits disclosed so far (parities plus the 128-bit tag once sent).
    pub fn disclosed_bits(&self) -> u64 {
        self.disclosed
    }

    /// Whether the verification hash has been sent.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Answers Bob's next message.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a message out of order (wrong step, a second `Open`, anything after `Finish`),
    /// session parameters that do not match the key, or a malformed request (pass ≥ 128, empty or
    /// out-of-range interval). The session must then be abandoned.
    pub fn respond(&mut self, msg: &BobMessage) -> Result<AliceMessage> {
        let reject = |detail: String| Err(Error::Protocol { detail });
        if self.finished {
            return reject("message after the session finished".into());
        }
        match msg {
            BobMessage::Open { params, queries } => {
                if self.next_step != 0 {
                    return reject("second Open in a session".into());
                }
                if params.frame_bits as usize != self.key.len() {
                    return reject(format!(
                        "frame of {} bits announced, Alice holds {}",
                        params.frame_bits,
                        self.key.len()
                    ));
                }
                if !(params.qber_estimate > 0.0 && params.qber_estimate < 0.5) {
                    return reject(format!("error-rate estimate {} outside (0, 0.5)", params.qber_estimate));
                }
                self.params = Some(params.clone());
                self.answer(0, queries)
            }
            BobMessage::Query { step, queries } => {
                if self.next_step == 0 || *step != self.next_step {
                    return reject(format!("step {step} out of order (expected {})", self.next_step));
                }
                self.answer(*step, queries)
            }
            BobMessage::Finish { step } => {
                if self.next_step == 0 || *step != self.next_step {
                    return reject(format!("step {step} out of order (expected {})", self.next_step));
                }
                self.finished = true;
                self.disclosed += verify::TAG_BITS;
                Ok(AliceMessage::Verify {
                    step: *step,
                    hash_key: self.hash_key,
                    tag: verify::tag(&self.hash_key, &self.key),
                })
            }
        }
    }

    fn answer(&mut self, step: u32, queries: &[ParityQuery]) -> Result<AliceMessage> {
        let n = self.key.len();
        // Validate everything before disclosing anything.
        for q in queries {
            if usize::from(q.pass) >= MAX_PASSES || q.start >= q.end || q.end as usize > n {
                return Err(Error::Protocol {
                    detail: format!("invalid parity request: pass {} range {}..{}", q.pass, q.start, q.end),
                });
            }
        }
        let seed = self.params.as_ref().map_or(0, |p| p.shuffle_seed);
        let mut parities = BitVec::with_capacity(queries.len());
        for q in queries {
            let pass = usize::from(q.pass);
            if self.prefix.len() <= pass {
                self.prefix.resize_with(pass + 1, || None);
            }
            let key = &self.key;
            let prefix =
                self.prefix[pass].get_or_insert_with(|| prefix_parities(key, &permutation(n, seed, pass)));
            let bit = |j: usize| (prefix[j / 64] >> (j % 64)) & 1 == 1;
            parities.push(bit(q.start as usize) ^ bit(q.end as usize));
        }
        self.disclosed += queries.len() as u64;
        self.next_step = step + 1;
        Ok(AliceMessage::Parities { step, parities })
    }
}

/// Packed prefix parities P[0..=n] of `key` read in the order `perm`.
fn prefix_parities(key: &BitVec, perm: &[u32]) -> Vec<u64> {
    let words = key.words();
    let mut out = vec![0u64; (perm.len() + 1).div_ceil(64)];
    let mut p = 0u64;
    for (j, &x) in perm.iter().enumerate() {
        let x = x as usize;
        p ^= (words[x / 64] >> (x % 64)) & 1;
        out[(j + 1) / 64] |= p << ((j + 1) % 64);
    }
    out
}
