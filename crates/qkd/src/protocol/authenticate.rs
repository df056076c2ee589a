//! Authentication of the classical channel: Wegman–Carter one-time-pad-encrypted universal hashing.
//!
//! QKD is only secure over an *authenticated* classical channel. Wegman and Carter (JCSS 22, 265 (1981)) authenticate
//! message t as tag_t = h_K(m_t) ⊕ r_t, with h from an ε-almost-XOR-universal family keyed by K (reused for the whole
//! session) and r_t fresh one-time-pad bits per message. Against any adversary, even computationally unbounded,
//! each forgery attempt succeeds with probability ≤ ε (Krawczyk, CRYPTO'94, Thm. 4; Portmann, IEEE TIT 60, 4383
//! (2014) for composability with the key that QKD produces).
//!
//! The hash is POLYVAL (RFC 8452 §3) over GF(2¹²⁸): h_H(X_1…X_s) = Σ X_i·H^(s−i+1) (with POLYVAL's Montgomery
//! factor), a polynomial of degree s in the key H. Messages are encoded injectively — domain label, session, sender,
//! sequence number, payload zero-padded to 16-byte blocks, then a block with the payload's length — so two distinct
//! messages give a non-zero difference polynomial with at most s roots: ε = s/2¹²⁸ for s blocks. Tags are 128 bits.
//!
//! Key material comes from a [`KeyPool`] that both parties hold identical copies of: a pre-shared secret at first,
//! replenished afterwards from the keys QKD produces (the "key growing" mode of QKD). A session draws the 128-bit
//! hash key once and 128 pad bits per message; [`AuthChannel::key_bits_consumed`] counts them. Both parties draw
//! pad bits in the one global order in which messages are sent and received (our protocols are half-duplex: every
//! message is opened before the next one is sealed).
//!
//! Any failure — bad tag, wrong sequence number (replay, reordering, deletion), wrong session or sender — returns
//! the same opaque [`Error::Authentication`] and aborts the channel for good: after one failed verification the
//! adversary has learnt something about H, so the session must not go on.

use polyval::Polyval;
use polyval::universal_hash::UniversalHash;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// Bytes of a tag, of the hash key and of the pad of one message.
pub const TAG_BYTES: usize = 16;
/// Domain label that starts every authenticated encoding (versioned).
const DOMAIN: &[u8; 16] = b"quantumacy-wc/v1";

/// Secret key material shared by both ends of a link, consumed from the front.
///
/// `Debug` shows only sizes; the bytes are zeroized when consumed or dropped.
#[derive(Clone)]
pub struct KeyPool {
    bytes: Zeroizing<Vec<u8>>,
    start: usize,
    consumed_bits: u64,
    replenished_bits: u64,
}

impl std::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPool({} bits available, {} consumed)", self.available_bits(), self.consumed_bits)
    }
}

impl KeyPool {
    /// A pool holding a pre-shared secret.
    pub fn new(secret: Vec<u8>) -> Self {
        KeyPool { bytes: Zeroizing::new(secret), start: 0, consumed_bits: 0, replenished_bits: 0 }
    }

    /// Bits left to draw.
    pub fn available_bits(&self) -> u64 {
        8 * (self.bytes.len() - self.start) as u64
    }

    /// Bits drawn so far.
    pub fn consumed_bits(&self) -> u64 {
        self.consumed_bits
    }

    /// Bits added by [`KeyPool::replenish`] so far.
    pub fn replenished_bits(&self) -> u64 {
        self.replenished_bits
    }

    /// Appends fresh shared secret bytes (e.g. part of a key QKD just produced).
    pub fn replenish(&mut self, fresh: &[u8]) {
        // Compact first so the pool does not grow without bound; the drawn prefix is already zeroed.
        self.bytes.drain(..self.start);
        self.start = 0;
        self.bytes.extend_from_slice(fresh);
        self.replenished_bits += 8 * fresh.len() as u64;
    }

    /// Draws 16 bytes.
    ///
    /// # Errors
    /// [`Error::KeyPoolExhausted`] when fewer than 128 bits are left (nothing is drawn then).
    fn draw(&mut self) -> Result<Zeroizing<[u8; TAG_BYTES]>> {
        let end = self.start + TAG_BYTES;
        if end > self.bytes.len() {
            return Err(Error::KeyPoolExhausted {
                needed_bits: 8 * TAG_BYTES as u64,
                available_bits: self.available_bits(),
            });
        }
        let mut out = Zeroizing::new([0u8; TAG_BYTES]);
        out.copy_from_slice(&self.bytes[self.start..end]);
        self.bytes[self.start..end].zeroize();
        self.start = end;
        self.consumed_bits += 8 * TAG_BYTES as u64;
        Ok(out)
    }
}

/// Which end of the link a party is (part of every tag, so a message cannot be reflected back to its sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// The sender of the quantum states.
    Alice,
    /// The receiver.
    Bob,
}

impl Role {
    fn code(self) -> u8 {
        match self {
            Role::Alice => 0xA1,
            Role::Bob => 0xB0,
        }
    }

    fn peer(self) -> Role {
        match self {
            Role::Alice => Role::Bob,
            Role::Bob => Role::Alice,
        }
    }
}

/// A message with its Wegman–Carter tag, as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tagged {
    /// The sender's sequence number (0, 1, 2, … per direction).
    pub seq: u64,
    /// The message bytes (serialized protocol message).
    pub payload: Vec<u8>,
    /// h_H(encoding) ⊕ pad.
    pub tag: [u8; TAG_BYTES],
}

/// One party's end of an authenticated session, drawing its key from that party's [`KeyPool`].
pub struct AuthChannel<'p> {
    pool: &'p mut KeyPool,
    hash_key: Zeroizing<[u8; TAG_BYTES]>,
    session: u64,
    role: Role,
    sent: u64,
    received: u64,
    consumed_bits: u64,
    aborted: bool,
}

impl std::fmt::Debug for AuthChannel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthChannel")
            .field("session", &self.session)
            .field("role", &self.role)
            .field("sent", &self.sent)
            .field("received", &self.received)
            .field("key_bits_consumed", &self.consumed_bits)
            .field("aborted", &self.aborted)
            .finish_non_exhaustive()
    }
}

impl<'p> AuthChannel<'p> {
    /// Opens session `session` as `role`, drawing the 128-bit hash key from `pool`.
    ///
    /// # Errors
    /// [`Error::KeyPoolExhausted`] if the pool has fewer than 128 bits.
    pub fn new(pool: &'p mut KeyPool, session: u64, role: Role) -> Result<Self> {
        let hash_key = pool.draw()?;
        Ok(AuthChannel {
            pool,
            hash_key,
            session,
            role,
            sent: 0,
            received: 0,
            consumed_bits: 8 * TAG_BYTES as u64,
            aborted: false,
        })
    }

    /// Tags `payload` for the peer.
    ///
    /// # Errors
    /// [`Error::Authentication`] if the channel was aborted; [`Error::KeyPoolExhausted`] if no pad is left.
    pub fn seal(&mut self, payload: Vec<u8>) -> Result<Tagged> {
        if self.aborted {
            return Err(Error::Authentication);
        }
        let pad = self.pool.draw()?;
        self.consumed_bits += 8 * TAG_BYTES as u64;
        let tag = self.tag(self.role, self.sent, &payload, &pad);
        let seq = self.sent;
        self.sent += 1;
        Ok(Tagged { seq, payload, tag })
    }

    /// Verifies a message from the peer and returns its payload.
    ///
    /// # Errors
    /// [`Error::Authentication`] — the same for every cause (bad tag, replayed, reordered or missing message,
    /// wrong session or direction) — after which the channel stays aborted; [`Error::KeyPoolExhausted`] if no pad
    /// is left.
    pub fn open(&mut self, message: &Tagged) -> Result<Vec<u8>> {
        if self.aborted {
            return Err(Error::Authentication);
        }
        let pad = match self.pool.draw() {
            Ok(pad) => pad,
            Err(e) => {
                self.aborted = true;
                return Err(e);
            }
        };
        self.consumed_bits += 8 * TAG_BYTES as u64;
        let expected = self.tag(self.role.peer(), self.received, &message.payload, &pad);
        let ok = expected.ct_eq(&message.tag) & message.seq.ct_eq(&self.received);
        if bool::from(ok) {
            self.received += 1;
            Ok(message.payload.clone())
        } else {
            self.aborted = true;
            Err(Error::Authentication)
        }
    }

    /// Key bits this session has drawn from the pool (hash key + one pad per message sealed or opened).
    pub fn key_bits_consumed(&self) -> u64 {
        self.consumed_bits
    }

    /// Whether a verification failed (the session must be abandoned).
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }

    /// Messages sealed and opened so far.
    pub fn messages(&self) -> (u64, u64) {
        (self.sent, self.received)
    }

    /// POLYVAL_H(DOMAIN ‖ session ‖ sender ‖ seq ‖ payload ‖ 0-pad ‖ len) ⊕ pad.
    fn tag(&self, sender: Role, seq: u64, payload: &[u8], pad: &[u8; TAG_BYTES]) -> [u8; TAG_BYTES] {
        let mut header = [0u8; 2 * TAG_BYTES];
        header[..16].copy_from_slice(DOMAIN);
        header[16..24].copy_from_slice(&self.session.to_le_bytes());
        header[24] = sender.code();
        // Bytes 25..32: the sequence number's low 7 bytes (2^56 messages per session is far beyond any use).
        header[25..32].copy_from_slice(&seq.to_le_bytes()[..7]);
        let mut length = [0u8; TAG_BYTES];
        length[..8].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        length[8..].copy_from_slice(&seq.to_le_bytes());
        let mut h = Polyval::new(&(*self.hash_key).into());
        h.update_padded(&header);
        h.update_padded(payload);
        h.update_padded(&length);
        let mut tag: [u8; TAG_BYTES] = h.finalize().into();
        for (t, p) in tag.iter_mut().zip(pad.iter()) {
            *t ^= p;
        }
        tag
    }
}

/// The forgery probability bound ε = s/2¹²⁸ of one tag over a payload of `payload_bytes` bytes (s = 16-byte
/// blocks hashed: two header blocks, the padded payload, one length block).
pub fn forgery_bound(payload_bytes: usize) -> f64 {
    let blocks = 3 + payload_bytes.div_ceil(TAG_BYTES);
    blocks as f64 / 2f64.powi(128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools(bytes: usize) -> (KeyPool, KeyPool) {
        let secret: Vec<u8> = (0..bytes).map(|i| (i * 37 + 11) as u8).collect();
        (KeyPool::new(secret.clone()), KeyPool::new(secret))
    }

    #[test]
    fn messages_round_trip_in_both_directions_and_count_key() {
        let (mut pa, mut pb) = pools(1024);
        let mut a = AuthChannel::new(&mut pa, 7, Role::Alice).unwrap();
        let mut b = AuthChannel::new(&mut pb, 7, Role::Bob).unwrap();
        for i in 0..5u8 {
            let m = a.seal(vec![i; usize::from(i) * 10]).unwrap();
            assert_eq!(b.open(&m).unwrap(), vec![i; usize::from(i) * 10]);
            let r = b.seal(vec![0xEE, i]).unwrap();
            assert_eq!(a.open(&r).unwrap(), vec![0xEE, i]);
        }
        // Hash key + 10 pads each.
        assert_eq!(a.key_bits_consumed(), 11 * 128);
        assert_eq!(b.key_bits_consumed(), 11 * 128);
        assert_eq!(a.messages(), (5, 5));
        drop((a, b));
        assert_eq!(pa.consumed_bits(), 11 * 128);
        assert_eq!(pa.available_bits(), 1024 * 8 - 11 * 128);
    }

    #[test]
    fn every_single_bit_flip_is_rejected_and_aborts() {
        let (mut pa, _) = pools(64);
        let mut a = AuthChannel::new(&mut pa, 1, Role::Alice).unwrap();
        let m = a.seal(b"parity request 17".to_vec()).unwrap();
        let bits = 8 * (m.payload.len() + TAG_BYTES);
        for bit in 0..bits {
            let (_, mut pb) = pools(64);
            let mut b = AuthChannel::new(&mut pb, 1, Role::Bob).unwrap();
            let mut t = m.clone();
            if bit < 8 * t.payload.len() {
                t.payload[bit / 8] ^= 1 << (bit % 8);
            } else {
                let k = bit - 8 * t.payload.len();
                t.tag[k / 8] ^= 1 << (k % 8);
            }
            assert!(matches!(b.open(&t), Err(Error::Authentication)), "bit {bit}");
            assert!(b.is_aborted());
            // The original is refused too once aborted.
            assert!(matches!(b.open(&m), Err(Error::Authentication)));
        }
    }

    #[test]
    fn replay_reorder_reflection_and_wrong_session_are_rejected() {
        let (mut pa, mut pb) = pools(256);
        let mut a = AuthChannel::new(&mut pa, 3, Role::Alice).unwrap();
        let mut b = AuthChannel::new(&mut pb, 3, Role::Bob).unwrap();
        let m0 = a.seal(b"first".to_vec()).unwrap();
        b.open(&m0).unwrap();
        assert!(matches!(b.open(&m0), Err(Error::Authentication)), "replay");

        let (mut pa, mut pb) = pools(256);
        let mut a = AuthChannel::new(&mut pa, 3, Role::Alice).unwrap();
        let mut b = AuthChannel::new(&mut pb, 3, Role::Bob).unwrap();
        let _m0 = a.seal(b"first".to_vec()).unwrap();
        let m1 = a.seal(b"second".to_vec()).unwrap();
        assert!(matches!(b.open(&m1), Err(Error::Authentication)), "skipped message");

        let (mut pa, _) = pools(256);
        let mut a = AuthChannel::new(&mut pa, 3, Role::Alice).unwrap();
        let m0 = a.seal(b"first".to_vec()).unwrap();
        let (mut pa2, _) = pools(256);
        let mut a2 = AuthChannel::new(&mut pa2, 3, Role::Alice).unwrap();
        assert!(matches!(a2.open(&m0), Err(Error::Authentication)), "reflected to its sender");

        let (_, mut pb) = pools(256);
        let mut b = AuthChannel::new(&mut pb, 4, Role::Bob).unwrap();
        assert!(matches!(b.open(&m0), Err(Error::Authentication)), "other session");

        let mut relabelled = m0.clone();
        relabelled.seq = 1;
        let (_, mut pb) = pools(256);
        let mut b = AuthChannel::new(&mut pb, 3, Role::Bob).unwrap();
        assert!(matches!(b.open(&relabelled), Err(Error::Authentication)), "relabelled sequence number");
    }

    #[test]
    fn trailing_zero_bytes_change_the_tag() {
        // Injective encoding: padding alone must not make two payloads collide.
        let (mut pa, mut pb) = pools(64);
        let mut a = AuthChannel::new(&mut pa, 1, Role::Alice).unwrap();
        let mut b = AuthChannel::new(&mut pb, 1, Role::Bob).unwrap();
        let mut m = a.seal(vec![1, 2, 3]).unwrap();
        m.payload.push(0);
        assert!(b.open(&m).is_err());
    }

    #[test]
    fn exhausted_pool_is_a_typed_error_and_replenishing_helps() {
        let (mut p, _) = pools(16);
        let mut ch = AuthChannel::new(&mut p, 0, Role::Alice).unwrap();
        assert!(matches!(
            ch.seal(vec![1]),
            Err(Error::KeyPoolExhausted { needed_bits: 128, available_bits: 0 })
        ));
        drop(ch);
        p.replenish(&[9u8; 40]);
        assert_eq!(p.available_bits(), 320);
        assert_eq!(p.replenished_bits(), 320);
        assert!(AuthChannel::new(&mut KeyPool::new(vec![0; 15]), 0, Role::Bob).is_err());
        assert!(format!("{p:?}").starts_with("KeyPool(320 bits"));
    }

    #[test]
    fn forgery_bound_is_tiny_for_protocol_messages() {
        assert!(forgery_bound(200_000) < 1e-33);
        assert_eq!(forgery_bound(0), 3.0 / 2f64.powi(128));
    }
}
