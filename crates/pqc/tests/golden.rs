//! A sealed message of format version 1, committed as `data/kat/sealed-message-v1.bin`, must keep decoding and
//! opening: a change to the wire format has to bump `FORMAT_VERSION` and add a new golden blob.
//! Regenerate (only together with a version bump) with `QUANTUMACY_REGENERATE=1 cargo test -p quantumacy-pqc
//! --test golden`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::PathBuf;

use quantumacy_pqc::hybrid::QkdKey;
use quantumacy_pqc::kem::{DecapsulationKey, MlKem768};
use quantumacy_pqc::sealed::{FORMAT_VERSION, PartyId, Receiver, Recipient, Route, Sender, SessionId};
use quantumacy_pqc::sign::SigningKey;

const PLAINTEXT: &[u8] = b"quantumacy sealed-message golden blob, format version 1";

#[test]
fn golden_v1_message_still_opens() {
    // Every key comes from fixed seeds, so the receiver side can be rebuilt without storing secrets.
    let sender = Sender::new(PartyId(1), SigningKey::from_seed(&[0x51; 32]).unwrap());
    let dk = DecapsulationKey::<MlKem768>::from_seed(&[0x52; 64]).unwrap();
    let key_id = "00000000-0000-4000-8000-000000000001".parse().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/kat/sealed-message-v1.bin");
    if std::env::var_os("QUANTUMACY_REGENERATE").is_some() {
        let mut rng = quantumacy_testkit::rng(0x5ea1);
        let to = Recipient::new(PartyId(0), dk.encapsulation_key()).unwrap();
        let route = Route { session: SessionId([0x53; 16]), round: 7, sequence: 3 };
        let qkd = QkdKey::new(key_id, &[0x54; 32]).unwrap();
        std::fs::write(&path, sender.seal(&to, route, qkd, PLAINTEXT, &mut rng).unwrap()).unwrap();
    }
    let blob = std::fs::read(&path).unwrap();
    let mut receiver = Receiver::new(PartyId(0), &dk).unwrap();
    receiver.trust(sender.id(), sender.verifying_key());
    let opened = receiver.open(&blob, |id| QkdKey::new(id, &[0x54; 32]).ok()).unwrap();
    assert_eq!(opened.plaintext.as_slice(), PLAINTEXT);
    assert_eq!(opened.header.format_version, FORMAT_VERSION);
    assert_eq!((opened.header.round, opened.header.sequence, opened.header.key_id), (7, 3, key_id));
    assert_eq!(opened.header.session, SessionId([0x53; 16]));
}
