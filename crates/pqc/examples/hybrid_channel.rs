//! A hybrid QKD + ML-KEM channel between three hospitals and an aggregator for one federated round.
//!
//! Each hospital draws a single-use 256-bit key from its (simulated) QKD key manager — the ETSI GS QKD 014
//! `enc_keys` call; the aggregator fetches the same key by `key_ID` (`dec_keys`). The model update travels in a
//! sealed message: HPKE mode_psk (ML-KEM-768 + HKDF-SHA256 + AES-256-GCM, psk = QKD key) and an ML-DSA-65
//! signature. The example then replays one message and tampers with another to show both rejected, and
//! repeats one exchange with the CatKDF combiner.
//!
//! Run: `cargo run --release -p quantumacy-pqc --example hybrid_channel`.

use std::collections::HashMap;
use std::time::Instant;

use quantumacy_pqc::hybrid::{self, CatKdfContext, KeyId, QkdKey};
use quantumacy_pqc::kem::{DecapsulationKey, MlKem768};
use quantumacy_pqc::sealed::{PartyId, Receiver, Recipient, Route, Sender, SessionId};
use quantumacy_pqc::sign::SigningKey;
use rand::SeedableRng;

/// A stand-in for the pair of QKD key managers: every key it hands the sender is later available to the
/// receiver by ID, once.
#[derive(Default)]
struct SimulatedKms {
    delivered: HashMap<KeyId, [u8; 32]>,
}

impl SimulatedKms {
    fn enc_key(&mut self, rng: &mut rand_chacha::ChaCha20Rng) -> QkdKey {
        let key = QkdKey::random(rng);
        self.delivered.insert(key.id(), *key.expose_secret());
        key
    }

    fn dec_key(&mut self, id: KeyId) -> Option<QkdKey> {
        self.delivered.remove(&id).and_then(|k| QkdKey::new(id, &k).ok())
    }
}

fn main() -> Result<(), quantumacy_pqc::Error> {
    // A fixed seed makes the run repeatable; a deployment seeds from the operating system.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(42);
    let aggregator_dk = DecapsulationKey::<MlKem768>::generate(&mut rng);
    let mut aggregator = Receiver::new(PartyId(0), &aggregator_dk)?;
    let to_aggregator = Recipient::new(PartyId(0), aggregator_dk.encapsulation_key())?;

    let hospitals: Vec<Sender> =
        (1..=3).map(|i| Sender::new(PartyId(i), SigningKey::generate(&mut rng))).collect();
    for h in &hospitals {
        aggregator.trust(h.id(), h.verifying_key());
    }

    let mut kms = SimulatedKms::default();
    let session = SessionId::random(&mut rng);
    let mut wires = Vec::new();
    for (i, h) in hospitals.iter().enumerate() {
        // A 248-byte update: 31 f64 weights (logistic regression on WDBC: 30 features + bias).
        let update: Vec<u8> = (0..31).flat_map(|j| ((i * 31 + j) as f64 * 0.01).to_le_bytes()).collect();
        let qkd = kms.enc_key(&mut rng);
        let t = Instant::now();
        let wire =
            h.seal(&to_aggregator, Route { session, round: 1, sequence: 0 }, qkd, &update, &mut rng)?;
        println!(
            "hospital {} sealed {} B -> {} B on the wire in {:?}",
            h.id(),
            update.len(),
            wire.len(),
            t.elapsed()
        );
        wires.push((wire, update));
    }

    for (wire, update) in &wires {
        let t = Instant::now();
        let opened = aggregator.open(wire, |id| kms.dec_key(id))?;
        let intact = opened.plaintext.as_slice() == update.as_slice();
        println!(
            "aggregator opened round {} seq {} from hospital {} (key {}, update intact: {intact}) in {:?}",
            opened.header.round,
            opened.header.sequence,
            opened.header.sender,
            opened.header.key_id,
            t.elapsed()
        );
    }

    // The network replays the first message: refused (and the QKD key is gone from the key manager anyway).
    let replay = aggregator.open(&wires[0].0, |id| kms.dec_key(id));
    println!("replayed message: {}", describe(replay.map(|_| ())));

    // A flipped byte in the encrypted part (ML-KEM encapsulation or AEAD ciphertext, just before the 3309-byte
    // signature): the signature check fails before any decryption.
    let qkd = kms.enc_key(&mut rng);
    let mut wire =
        hospitals[1].seal(&to_aggregator, Route { session, round: 2, sequence: 0 }, qkd, b"w", &mut rng)?;
    let last = wire.len() - 3400;
    wire[last] ^= 0x01;
    println!("tampered message: {}", describe(aggregator.open(&wire, |id| kms.dec_key(id)).map(|_| ())));

    // The same protection with the ETSI TS 103 744 CatKDF combiner instead of HPKE.
    let qkd = QkdKey::random(&mut rng);
    let ctx = CatKdfContext { session: &session.0, ids: b"hospital-1|aggregator" };
    let sealed = hybrid::catkdf_seal(aggregator_dk.encapsulation_key(), &qkd, ctx, b"", b"update", &mut rng)?;
    let opened = hybrid::catkdf_open(&aggregator_dk, &qkd, ctx, b"", &sealed)?;
    println!("CatKDF round trip: {:?}", String::from_utf8_lossy(&opened));
    Ok(())
}

fn describe(result: Result<(), quantumacy_pqc::Error>) -> String {
    match result {
        Ok(()) => "accepted".into(),
        Err(e) => format!("rejected locally as \"{e}\"; the peer is told \"{}\"", e.for_peer()),
    }
}
