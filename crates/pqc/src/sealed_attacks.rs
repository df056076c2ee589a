//! Every envelope attack of the acceptance list, each rejected by its own test: bit flip anywhere, truncation,
//! oversize, replay, reused key_ID, swapped sender/receiver, signature from another key, format downgrade.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::HashMap;

use rand_chacha::ChaCha20Rng;

use super::*;
use crate::hybrid::QkdKey;

/// A fixture: hospital A (sender 1) sends to aggregator B (receiver 2); both hold the QKD keys.
struct World {
    rng: ChaCha20Rng,
    alice: Sender,
    bob_dk: DecapsulationKey<MlKem768>,
    bob: Receiver,
    to_bob: Recipient,
    /// The receiver side's copy of the QKD keys, by ID (what `dec_keys` would return).
    keys: HashMap<KeyId, [u8; 32]>,
    session: SessionId,
}

impl World {
    fn new(label: &str) -> Self {
        let mut rng = quantumacy_testkit::rng_for(label);
        let alice = Sender::new(PartyId(1), SigningKey::generate(&mut rng));
        let bob_dk = DecapsulationKey::<MlKem768>::generate(&mut rng);
        let mut bob = Receiver::new(PartyId(2), &bob_dk).unwrap();
        bob.trust(alice.id(), alice.verifying_key());
        let to_bob = Recipient::new(PartyId(2), bob_dk.encapsulation_key()).unwrap();
        let session = SessionId::random(&mut rng);
        Self { rng, alice, bob_dk, bob, to_bob, keys: HashMap::new(), session }
    }

    /// A fresh QKD key, recorded for the receiver.
    fn qkd(&mut self) -> QkdKey {
        let key = QkdKey::random(&mut self.rng);
        self.keys.insert(key.id(), *key.expose_secret());
        key
    }

    fn route(&self, round: u64, sequence: u64) -> Route {
        Route { session: self.session, round, sequence }
    }

    fn seal(&mut self, round: u64, sequence: u64, msg: &[u8]) -> Vec<u8> {
        let qkd = self.qkd();
        let route = self.route(round, sequence);
        self.alice.seal(&self.to_bob, route, qkd, msg, &mut self.rng).unwrap()
    }

    fn open(&mut self, bytes: &[u8]) -> Result<Opened> {
        let keys = &self.keys;
        self.bob.open(bytes, |id| keys.get(&id).map(|k| QkdKey::new(id, k).unwrap()))
    }
}

const UPDATE: &[u8] = b"model update: w = [0.25, -1.5, 3.0], b = 0.125";

#[test]
fn an_honest_message_opens_once() {
    let mut w = World::new("sealed/honest");
    let bytes = w.seal(3, 0, UPDATE);
    let opened = w.open(&bytes).unwrap();
    assert_eq!(opened.plaintext.as_slice(), UPDATE);
    assert_eq!(
        (opened.header.sender, opened.header.receiver, opened.header.round),
        (PartyId(1), PartyId(2), 3)
    );
    // Overhead: header + 1088 B encapsulation + 16 B tag + 3309 B signature + envelope framing.
    assert!(bytes.len() < UPDATE.len() + 1088 + 16 + 3309 + 200, "{}", bytes.len());
}

#[test]
fn a_bit_flip_anywhere_is_rejected() {
    let mut w = World::new("sealed/bitflip");
    let bytes = w.seal(1, 0, UPDATE);
    // Every byte, one bit each (the bit index cycles so all 8 positions are hit across the message).
    for i in 0..bytes.len() {
        let mut forged = bytes.clone();
        forged[i] ^= 1 << (i % 8);
        assert!(w.open(&forged).is_err(), "flip at byte {i} of {} was accepted", bytes.len());
    }
    // The untouched message still opens: failed attempts left no state behind.
    assert!(w.open(&bytes).is_ok());
}

#[test]
fn every_truncation_is_rejected() {
    let mut w = World::new("sealed/truncate");
    let bytes = w.seal(1, 0, UPDATE);
    for len in 0..bytes.len() {
        let err = w.open(&bytes[..len]).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "prefix {len}: {err:?}");
    }
}

#[test]
fn oversize_input_is_rejected_before_parsing() {
    let mut w = World::new("sealed/oversize");
    let bytes = w.seal(1, 0, &vec![7u8; 4096]);
    let limit = bytes.len() - 1;
    w.bob = std::mem::replace(&mut w.bob, Receiver::new(PartyId(2), &w.bob_dk).unwrap()).with_max_len(limit);
    assert_eq!(w.open(&bytes).unwrap_err(), Error::Oversize { len: bytes.len(), limit });
    // Trailing garbage after a valid envelope is malformed, not ignored.
    let mut w = World::new("sealed/trailing");
    let mut bytes = w.seal(1, 0, UPDATE);
    bytes.push(0);
    assert_eq!(w.open(&bytes).unwrap_err(), Error::Malformed { what: "envelope" });
}

#[test]
fn a_replayed_message_is_rejected() {
    let mut w = World::new("sealed/replay");
    let bytes = w.seal(5, 9, UPDATE);
    w.open(&bytes).unwrap();
    let err = w.open(&bytes).unwrap_err();
    assert!(matches!(err, Error::Replay { round: 5, sequence: 9, .. }), "{err:?}");
    // Same (session, round, sequence) under a fresh QKD key is still a replay.
    let again = w.seal(5, 9, b"other");
    assert!(matches!(w.open(&again).unwrap_err(), Error::Replay { .. }));
    // The next sequence number is fine.
    let next = w.seal(5, 10, UPDATE);
    assert!(w.open(&next).is_ok());
}

#[test]
fn a_reused_key_id_is_rejected() {
    let mut w = World::new("sealed/key-reuse");
    let qkd = w.qkd();
    let id = qkd.id();
    let copy = QkdKey::new(id, qkd.expose_secret()).unwrap();
    let first = w.alice.seal(&w.to_bob, w.route(1, 0), qkd, UPDATE, &mut w.rng).unwrap();
    let second = w.alice.seal(&w.to_bob, w.route(1, 1), copy, UPDATE, &mut w.rng).unwrap();
    w.open(&first).unwrap();
    assert_eq!(w.open(&second).unwrap_err(), Error::KeyReuse(id.to_string()));
}

#[test]
fn swapped_sender_and_receiver_are_rejected() {
    let mut w = World::new("sealed/swap");
    // Bob is also a sender Alice trusts, so the swapped message reaches a receiver that knows the claimed sender.
    let bob_sender = Sender::new(PartyId(2), SigningKey::generate(&mut w.rng));
    let mut alice_rx =
        Receiver::new(PartyId(1), &DecapsulationKey::<MlKem768>::generate(&mut w.rng)).unwrap();
    alice_rx.trust(PartyId(2), bob_sender.verifying_key());

    let bytes = w.seal(1, 0, UPDATE);
    let payload = wire::decode(&bytes, usize::MAX, KIND, SUITE).unwrap();
    let mut body: Body<'_> = wire::from_bytes_exact(payload, "sealed message").unwrap();
    std::mem::swap(&mut body.header.sender, &mut body.header.receiver);
    let forged =
        wire::encode_with_version(FORMAT_VERSION, KIND, SUITE, &postcard::to_allocvec(&body).unwrap())
            .unwrap();

    // At the original receiver: not addressed to it.
    assert_eq!(w.open(&forged).unwrap_err(), Error::WrongReceiver { found: 1, expected: 2 });
    // At the party it now names as receiver: the signature no longer covers the header.
    let keys = w.keys.clone();
    let err = alice_rx.open(&forged, |id| keys.get(&id).map(|k| QkdKey::new(id, k).unwrap())).unwrap_err();
    assert_eq!(err, Error::Verification);
}

#[test]
fn a_signature_from_another_key_is_rejected() {
    let mut w = World::new("sealed/other-key");
    // Mallory knows Bob's public key and a QKD key, and claims to be Alice.
    let mallory = Sender::new(PartyId(1), SigningKey::generate(&mut w.rng));
    let qkd = w.qkd();
    let route = w.route(1, 0);
    let forged = mallory.seal(&w.to_bob, route, qkd, UPDATE, &mut w.rng).unwrap();
    assert_eq!(w.open(&forged).unwrap_err(), Error::Verification);
    // An unknown sender identity is refused before any cryptography.
    let stranger = Sender::new(PartyId(99), SigningKey::generate(&mut w.rng));
    let qkd = w.qkd();
    let forged = stranger.seal(&w.to_bob, route, qkd, UPDATE, &mut w.rng).unwrap();
    assert_eq!(w.open(&forged).unwrap_err(), Error::UnknownSender(99));
}

#[test]
fn a_format_downgrade_is_rejected() {
    let mut w = World::new("sealed/downgrade");
    let route = w.route(1, 0);
    // Outer envelope claims version 0.
    let qkd = w.qkd();
    let old_outer =
        w.alice.seal_versioned(0, FORMAT_VERSION, &w.to_bob, route, &qkd, UPDATE, &mut w.rng).unwrap();
    assert_eq!(w.open(&old_outer).unwrap_err(), Error::FormatVersion { found: 0, expected: FORMAT_VERSION });
    // A genuinely signed header of version 0 (an old or downgraded sender) is refused too.
    let qkd = w.qkd();
    let old_header =
        w.alice.seal_versioned(FORMAT_VERSION, 0, &w.to_bob, route, &qkd, UPDATE, &mut w.rng).unwrap();
    assert_eq!(w.open(&old_header).unwrap_err(), Error::FormatVersion { found: 0, expected: FORMAT_VERSION });
    // Rewriting only the outer version byte of a v1 message cannot pass either.
    let bytes = w.seal(1, 1, UPDATE);
    assert_eq!(bytes[0], 1, "postcard varint of format_version 1");
    let mut forged = bytes.clone();
    forged[0] = 0;
    assert_eq!(w.open(&forged).unwrap_err(), Error::FormatVersion { found: 0, expected: FORMAT_VERSION });
}

#[test]
fn wrong_or_missing_qkd_keys_are_rejected_after_verification() {
    let mut w = World::new("sealed/qkd");
    let bytes = w.seal(1, 0, UPDATE);
    let id = Header::decode_for_tests(&bytes).key_id;
    assert_eq!(w.bob.open(&bytes, |_| None).unwrap_err(), Error::MissingKey(id.to_string()));
    let other = QkdKey::random(&mut w.rng);
    let other_id = other.id();
    let err = w.bob.open(&bytes, |_| Some(other)).unwrap_err();
    assert_eq!(err, Error::KeyIdMismatch { expected: id.to_string(), found: other_id.to_string() });
    // Right ID, wrong key bytes (a desynchronised key manager): opaque decryption failure.
    assert_eq!(
        w.bob.open(&bytes, |id| Some(QkdKey::new(id, &[0; 32]).unwrap())).unwrap_err(),
        Error::Decryption
    );
    // None of the failures consumed the message.
    assert!(w.open(&bytes).is_ok());
}

#[test]
fn peers_only_learn_that_a_message_was_rejected() {
    let errors = [
        Error::Verification,
        Error::Replay { session: "00".into(), round: 1, sequence: 2 },
        Error::Decryption,
    ];
    for e in errors {
        assert_eq!(e.for_peer().to_string(), "message rejected");
    }
}

impl Header {
    fn decode_for_tests(bytes: &[u8]) -> Header {
        let payload = wire::decode(bytes, usize::MAX, KIND, SUITE).unwrap();
        wire::from_bytes_exact::<Body<'_>>(payload, "sealed message").unwrap().header
    }
}
