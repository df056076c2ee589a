//! ML-KEM and ML-DSA wrappers: round trips over every parameter set, Wycheproof-style negative cases, bad
//! encodings, and proptests over random messages and context strings.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use proptest::prelude::*;
use quantumacy_pqc::Error;
use quantumacy_pqc::kem::{
    Ciphertext, DecapsulationKey, EncapsulationKey, KemParameterSet, MlKem512, MlKem768, MlKem1024,
};
use quantumacy_pqc::sign::{
    Context, MlDsa44, MlDsa65, MlDsa87, Signature, SignatureParameterSet, SigningKey, VerifyingKey,
};

fn kem_round_trip<P: KemParameterSet>() {
    let mut rng = quantumacy_testkit::rng_for(P::NAME);
    let dk = DecapsulationKey::<P>::generate(&mut rng);
    let ek_bytes = dk.encapsulation_key().to_bytes();
    assert_eq!(ek_bytes.len(), P::ENCAPSULATION_KEY_LEN);
    // Keys survive their FIPS encodings.
    let ek = EncapsulationKey::<P>::from_bytes(&ek_bytes).unwrap();
    let dk2 = DecapsulationKey::<P>::from_seed(&dk.to_seed()[..]).unwrap();
    assert_eq!(dk, dk2);
    let (ct, ss) = ek.encapsulate(&mut rng);
    assert_eq!(ct.as_bytes().len(), P::CIPHERTEXT_LEN);
    let ct = Ciphertext::<P>::from_bytes(ct.as_bytes()).unwrap();
    assert_eq!(dk2.decapsulate(&ct), ss);
    // Implicit rejection: a modified ciphertext decapsulates, to an unrelated secret (FIPS 203 Alg. 18 l. 8),
    // and deterministically so.
    for i in [0, P::CIPHERTEXT_LEN / 2, P::CIPHERTEXT_LEN - 1] {
        let mut bad = ct.as_bytes().to_vec();
        bad[i] ^= 0x01;
        let bad = Ciphertext::<P>::from_bytes(&bad).unwrap();
        let rejected = dk.decapsulate(&bad);
        assert_ne!(rejected, ss, "{} byte {i}", P::NAME);
        assert_eq!(rejected, dk.decapsulate(&bad));
    }
    // Another key gives another secret.
    let other = DecapsulationKey::<P>::generate(&mut rng);
    assert_ne!(other.decapsulate(&ct), ss);
    assert_ne!(other, dk);
}

#[test]
fn kem_round_trips_and_implicit_rejection() {
    kem_round_trip::<MlKem512>();
    kem_round_trip::<MlKem768>();
    kem_round_trip::<MlKem1024>();
}

#[test]
fn kem_rejects_bad_encodings() {
    assert_eq!(
        EncapsulationKey::<MlKem768>::from_bytes(&[0; 1183]).unwrap_err(),
        Error::Length { what: "ML-KEM encapsulation key", expected: 1184, actual: 1183 }
    );
    // FIPS 203 §7.2 modulus check: 12-bit coefficients of 0xFFF ≥ q = 3329 are refused.
    assert_eq!(
        EncapsulationKey::<MlKem768>::from_bytes(&[0xFF; 1184]).unwrap_err(),
        Error::Encoding { what: "ML-KEM encapsulation key" }
    );
    assert!(matches!(
        Ciphertext::<MlKem768>::from_bytes(&[0; 1089]),
        Err(Error::Length { expected: 1088, .. })
    ));
    assert!(matches!(
        DecapsulationKey::<MlKem768>::from_seed(&[0; 32]),
        Err(Error::Length { expected: 64, .. })
    ));
    // A 768 ciphertext is not a 1024 one.
    assert!(Ciphertext::<MlKem1024>::from_bytes(&[0; 1088]).is_err());
}

fn sign_round_trip<P: SignatureParameterSet>() {
    let mut rng = quantumacy_testkit::rng_for(P::NAME);
    let sk = SigningKey::<P>::generate(&mut rng);
    let vk = VerifyingKey::<P>::from_bytes(&sk.verifying_key().to_bytes()).unwrap();
    assert_eq!(vk.to_bytes().len(), P::VERIFYING_KEY_LEN);
    assert_eq!(SigningKey::<P>::from_seed(&sk.to_seed()[..]).unwrap(), sk);
    let ctx = Context::new(b"quantumacy test").unwrap();
    let sig = sk.sign(b"message", ctx, &mut rng).unwrap();
    assert_eq!(sig.as_bytes().len(), P::SIGNATURE_LEN);
    vk.verify(b"message", ctx, &sig).unwrap();
    // Hedged signatures differ; deterministic ones repeat; all verify.
    assert_ne!(sk.sign(b"message", ctx, &mut rng).unwrap(), sig);
    let d1 = sk.sign_deterministic(b"message", ctx).unwrap();
    assert_eq!(d1, sk.sign_deterministic(b"message", ctx).unwrap());
    vk.verify(b"message", ctx, &d1).unwrap();
    // Negative cases: modified message, context, signature (first, middle, last byte), key.
    assert_eq!(vk.verify(b"messagf", ctx, &sig), Err(Error::Verification));
    assert_eq!(vk.verify(b"message", Context::EMPTY, &sig), Err(Error::Verification));
    assert_eq!(
        vk.verify(b"message", Context::new(b"quantumacy tesT").unwrap(), &sig),
        Err(Error::Verification)
    );
    for i in [0, P::SIGNATURE_LEN / 2, P::SIGNATURE_LEN - 1] {
        let mut bad = sig.as_bytes().to_vec();
        bad[i] ^= 0x80;
        let bad = Signature::<P>::from_bytes(&bad).unwrap();
        assert_eq!(vk.verify(b"message", ctx, &bad), Err(Error::Verification), "{} byte {i}", P::NAME);
    }
    let other = SigningKey::<P>::generate(&mut rng).verifying_key();
    assert_eq!(other.verify(b"message", ctx, &sig), Err(Error::Verification));
    // All-zero and all-ones signatures are malformed (hint encoding / norm bound) and simply do not verify.
    for fill in [0x00, 0xFF] {
        let junk = Signature::<P>::from_bytes(&vec![fill; P::SIGNATURE_LEN]).unwrap();
        assert_eq!(vk.verify(b"message", ctx, &junk), Err(Error::Verification));
    }
}

#[test]
fn sign_round_trips_and_negative_cases() {
    sign_round_trip::<MlDsa44>();
    sign_round_trip::<MlDsa65>();
    sign_round_trip::<MlDsa87>();
}

#[test]
fn sign_rejects_bad_lengths() {
    assert!(matches!(
        VerifyingKey::<MlDsa65>::from_bytes(&[0; 1312]),
        Err(Error::Length { expected: 1952, .. })
    ));
    assert!(matches!(
        Signature::<MlDsa65>::from_bytes(&[0; 3308]),
        Err(Error::Length { expected: 3309, .. })
    ));
    assert!(matches!(SigningKey::<MlDsa65>::from_seed(&[0; 64]), Err(Error::Length { expected: 32, .. })));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_message_and_context_sign_and_verify(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..2048),
        context in proptest::collection::vec(any::<u8>(), 0..=255),
        flip in any::<prop::sample::Index>(),
    ) {
        let sk = SigningKey::<MlDsa65>::from_seed(&seed).unwrap();
        let vk = sk.verifying_key();
        let ctx = Context::new(&context).unwrap();
        let mut rng = quantumacy_testkit::rng(u64::from_le_bytes(seed[..8].try_into().unwrap()));
        let sig = sk.sign(&message, ctx, &mut rng).unwrap();
        prop_assert!(vk.verify(&message, ctx, &sig).is_ok());
        // Any single-bit change of the message breaks the signature.
        let mut changed = message.clone();
        if changed.is_empty() { changed.push(0) } else { let i = flip.index(changed.len()); changed[i] ^= 1; }
        prop_assert_eq!(vk.verify(&changed, ctx, &sig), Err(Error::Verification));
    }

    #[test]
    fn any_kem_seed_round_trips(seed in any::<[u8; 64]>(), m in any::<u64>()) {
        let dk = DecapsulationKey::<MlKem768>::from_seed(&seed).unwrap();
        let mut rng = quantumacy_testkit::rng(m);
        let (ct, ss) = dk.encapsulation_key().encapsulate(&mut rng);
        prop_assert_eq!(dk.decapsulate(&ct), ss);
        prop_assert_eq!(&dk.to_seed()[..], &seed[..]);
    }
}
