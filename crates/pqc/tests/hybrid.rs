//! Hybrid key establishment: HPKE mode_psk and CatKDF round trips, the "either secret suffices" property, and a
//! CatKDF known answer computed independently (Python `hmac`/`hashlib` HKDF and `cryptography` AES-GCM).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::convert::Infallible;

use quantumacy_pqc::Error;
use quantumacy_pqc::hazmat;
use quantumacy_pqc::hybrid::{
    CatKdfContext, HpkePrivateKey, HpkePublicKey, KeyId, QkdKey, catkdf_derive, catkdf_open, catkdf_seal,
    open_psk, seal_psk,
};
use quantumacy_pqc::kem::{DecapsulationKey, MlKem768};

const INFO: &[u8] = b"quantumacy/v1 session 7 round 3";
const AAD: &[u8] = b"header";

fn keys(label: &str) -> (DecapsulationKey<MlKem768>, QkdKey, rand_chacha::ChaCha20Rng) {
    let mut rng = quantumacy_testkit::rng_for(label);
    (DecapsulationKey::generate(&mut rng), QkdKey::random(&mut rng), rng)
}

#[test]
fn hpke_psk_round_trip_and_sizes() {
    let (dk, qkd, mut rng) = keys("hybrid/hpke");
    let pk = HpkePublicKey::new(dk.encapsulation_key()).unwrap();
    let sk = HpkePrivateKey::new(&dk).unwrap();
    for len in [0usize, 1, 248, 4096] {
        let pt: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let sealed = seal_psk(&pk, &qkd, INFO, AAD, &pt, &mut rng).unwrap();
        assert_eq!(sealed.enc.as_bytes().len(), 1088);
        assert_eq!(sealed.ciphertext.len(), len + 16);
        assert_eq!(open_psk(&sk, &qkd, INFO, AAD, &sealed).unwrap().as_slice(), pt.as_slice());
    }
}

#[test]
fn hpke_psk_needs_every_input() {
    let (dk, qkd, mut rng) = keys("hybrid/hpke-neg");
    let pk = HpkePublicKey::new(dk.encapsulation_key()).unwrap();
    let sk = HpkePrivateKey::new(&dk).unwrap();
    let sealed = seal_psk(&pk, &qkd, INFO, AAD, b"update", &mut rng).unwrap();

    let other_dk = HpkePrivateKey::new(&DecapsulationKey::<MlKem768>::generate(&mut rng)).unwrap();
    let same_bytes_other_id = QkdKey::new(KeyId::random(&mut rng), qkd.expose_secret()).unwrap();
    let same_id_other_bytes = QkdKey::new(qkd.id(), &[0x5a; 32]).unwrap();
    // A QKD key alone (attacker broke ML-KEM? no: attacker lacks dk) or ML-KEM alone (attacker lacks psk) fails.
    assert_eq!(open_psk(&other_dk, &qkd, INFO, AAD, &sealed).unwrap_err(), Error::Decryption);
    assert_eq!(open_psk(&sk, &same_id_other_bytes, INFO, AAD, &sealed).unwrap_err(), Error::Decryption);
    assert_eq!(open_psk(&sk, &same_bytes_other_id, INFO, AAD, &sealed).unwrap_err(), Error::Decryption);
    assert_eq!(open_psk(&sk, &qkd, b"other info", AAD, &sealed).unwrap_err(), Error::Decryption);
    assert_eq!(open_psk(&sk, &qkd, INFO, b"other aad", &sealed).unwrap_err(), Error::Decryption);
    let mut tampered = sealed.clone();
    tampered.ciphertext[0] ^= 1;
    assert_eq!(open_psk(&sk, &qkd, INFO, AAD, &tampered).unwrap_err(), Error::Decryption);
    let mut tampered = sealed.clone();
    let mut enc = tampered.enc.as_bytes().to_vec();
    enc[0] ^= 1;
    tampered.enc = quantumacy_pqc::kem::Ciphertext::from_bytes(&enc).unwrap();
    assert_eq!(open_psk(&sk, &qkd, INFO, AAD, &tampered).unwrap_err(), Error::Decryption);
    assert!(matches!(seal_psk(&pk, &qkd, &[0; 1025], AAD, b"", &mut rng), Err(Error::TooLong { .. })));
}

#[test]
fn catkdf_round_trip_and_negative_cases() {
    let (dk, qkd, mut rng) = keys("hybrid/catkdf");
    let ctx = CatKdfContext { session: b"s1", ids: b"A|B" };
    let sealed = catkdf_seal(dk.encapsulation_key(), &qkd, ctx, AAD, b"update", &mut rng).unwrap();
    assert_eq!(catkdf_open(&dk, &qkd, ctx, AAD, &sealed).unwrap().as_slice(), b"update");
    let wrong = QkdKey::new(qkd.id(), &[0; 32]).unwrap();
    assert_eq!(catkdf_open(&dk, &wrong, ctx, AAD, &sealed).unwrap_err(), Error::Decryption);
    let other_ctx = CatKdfContext { session: b"s2", ids: b"A|B" };
    assert_eq!(catkdf_open(&dk, &qkd, other_ctx, AAD, &sealed).unwrap_err(), Error::Decryption);
    let other_dk = DecapsulationKey::<MlKem768>::generate(&mut rng);
    assert_eq!(catkdf_open(&other_dk, &qkd, ctx, AAD, &sealed).unwrap_err(), Error::Decryption);
}

/// Yields the byte 0x02 forever: makes `ML-KEM.Encaps` draw m = 0x02³², to match the known answer.
struct Twos;

impl rand::TryRng for Twos {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(0x0202_0202)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(0x0202_0202_0202_0202)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.fill(2);
        Ok(())
    }
}

impl rand::TryCryptoRng for Twos {}

#[test]
fn catkdf_matches_an_independent_implementation() {
    // Inputs: dk seed 0x01⁶⁴, m = 0x02³², k_QKD = 0x11³², key_ID = 00 01 … 0f, session "session-0001",
    // ids "hospital-A|aggregator". Expected values from Python 3 (hmac/hashlib RFC 5869 HKDF, `cryptography`
    // AESGCM) over the ek, ct and ss this crate's ML-KEM produced (themselves ACVP-checked in tests/acvp.rs).
    let dk = DecapsulationKey::<MlKem768>::from_seed(&[1; 64]).unwrap();
    let (ct, ss) = hazmat::encapsulate_deterministic(dk.encapsulation_key(), &[2; 32]);
    assert_eq!(
        hex::encode(ss.expose_secret()),
        "adb494c04fc78a643c632686e4c76ea471b4b7c30a14a5592dd3b0b8e6730359"
    );
    let id = KeyId::from_bytes(core::array::from_fn(|i| i as u8));
    let qkd = QkdKey::new(id, &[0x11; 32]).unwrap();
    let ctx = CatKdfContext { session: b"session-0001", ids: b"hospital-A|aggregator" };
    let okm = catkdf_derive(&qkd, &ss, dk.encapsulation_key(), &ct, ctx).unwrap();
    assert_eq!(
        hex::encode(*okm),
        "c81535225cf32f65ead310c7445dbddbc230cfce872b5d66fe24f9cd696c05ce89af07ae2add99bb0cff3bda"
    );
    let sealed =
        catkdf_seal(dk.encapsulation_key(), &qkd, ctx, b"hdr", b"248-byte model update", &mut Twos).unwrap();
    assert_eq!(sealed.enc, ct);
    assert_eq!(
        hex::encode(&sealed.ciphertext),
        "cdc3f42cce1be6fa0711b318655ad50afb4726e4beac0e4ff54bcd184f154326bffaf79608"
    );
}
