//! ML-KEM-768 / ML-DSA-65 through our wrappers and through the raw RustCrypto crates side by side (ids
//! `wrapper/…` and `raw/…` in the same group), hybrid HPKE mode_psk seal+open of 248 B and 1 MiB, and the full
//! sealed-message round trip (HPKE + ML-DSA-65 sign/verify + envelope).
//!
//! Run: `cargo bench -p quantumacy-pqc --bench pqc`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hpke::{Deserializable, Serializable};
use ml_kem::kem::{Decapsulate, Encapsulate, Kem};
use quantumacy_pqc::hybrid::{self, HpkePrivateKey, HpkePublicKey, QkdKey};
use quantumacy_pqc::kem::{DecapsulationKey, MlKem768};
use quantumacy_pqc::sealed::{PartyId, Receiver, Recipient, Route, Sender, SessionId};
use quantumacy_pqc::sign::{Context, MlDsa65, SigningKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const UPDATE: usize = 248;
const MIB: usize = 1 << 20;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(2026)
}

fn ml_kem(c: &mut Criterion) {
    let mut g = c.benchmark_group("ML-KEM-768");
    let mut r = rng();
    g.bench_function(BenchmarkId::new("keygen", "wrapper"), |b| {
        b.iter(|| black_box(DecapsulationKey::<MlKem768>::generate(&mut r)))
    });
    g.bench_function(BenchmarkId::new("keygen", "raw"), |b| {
        b.iter(|| black_box(ml_kem::MlKem768::generate_keypair_from_rng(&mut r)))
    });

    let dk = DecapsulationKey::<MlKem768>::generate(&mut r);
    let ek = dk.encapsulation_key().clone();
    let (raw_dk, raw_ek) = ml_kem::MlKem768::generate_keypair_from_rng(&mut r);
    g.bench_function(BenchmarkId::new("encaps", "wrapper"), |b| b.iter(|| black_box(ek.encapsulate(&mut r))));
    g.bench_function(BenchmarkId::new("encaps", "raw"), |b| {
        b.iter(|| black_box(raw_ek.encapsulate_with_rng(&mut r)))
    });

    let (ct, _) = ek.encapsulate(&mut r);
    let (raw_ct, _) = raw_ek.encapsulate_with_rng(&mut r);
    g.bench_function(BenchmarkId::new("decaps", "wrapper"), |b| {
        b.iter(|| black_box(dk.decapsulate(black_box(&ct))))
    });
    g.bench_function(BenchmarkId::new("decaps", "raw"), |b| {
        b.iter(|| black_box(raw_dk.decapsulate(black_box(&raw_ct))))
    });
    g.finish();
}

fn ml_dsa(c: &mut Criterion) {
    let mut g = c.benchmark_group("ML-DSA-65");
    let mut r = rng();
    g.bench_function(BenchmarkId::new("keygen", "wrapper"), |b| {
        b.iter(|| black_box(SigningKey::<MlDsa65>::generate(&mut r)))
    });
    g.bench_function(BenchmarkId::new("keygen", "raw"), |b| {
        b.iter(|| {
            let mut seed = ml_dsa::Seed::default();
            r.fill_bytes(&mut seed);
            black_box(ml_dsa::SigningKey::<ml_dsa::MlDsa65>::from_seed(&seed))
        })
    });

    let msg = vec![0x5au8; UPDATE];
    let ctx = b"quantumacy bench";
    let sk = SigningKey::<MlDsa65>::generate(&mut r);
    let vk = sk.verifying_key();
    let raw_sk = ml_dsa::SigningKey::<ml_dsa::MlDsa65>::from_seed(&(*sk.to_seed()).into());
    let raw_vk: &ml_dsa::VerifyingKey<ml_dsa::MlDsa65> = raw_sk.as_ref();
    let context = Context::new(ctx).unwrap();
    g.bench_function(BenchmarkId::new("sign", "wrapper"), |b| {
        b.iter(|| black_box(sk.sign(&msg, context, &mut r)))
    });
    g.bench_function(BenchmarkId::new("sign", "raw"), |b| {
        b.iter(|| black_box(raw_sk.expanded_key().sign_randomized(&msg, ctx, &mut r)))
    });

    let sig = sk.sign(&msg, context, &mut r).unwrap();
    let raw_enc = ml_dsa::EncodedSignature::<ml_dsa::MlDsa65>::try_from(sig.as_bytes()).unwrap();
    g.bench_function(BenchmarkId::new("verify", "wrapper"), |b| {
        b.iter(|| black_box(vk.verify(&msg, context, &sig)))
    });
    // The raw path also starts from the encoded signature, as a receiver must.
    g.bench_function(BenchmarkId::new("verify", "raw"), |b| {
        b.iter(|| {
            let s = ml_dsa::Signature::<ml_dsa::MlDsa65>::decode(&raw_enc).unwrap();
            black_box(raw_vk.verify_with_context(&msg, ctx, &s))
        })
    });
    g.finish();
}

type HKem = hpke::kem::MlKem768;
type HKdf = hpke::kdf::HkdfSha256;
type HAead = hpke::aead::AesGcm256;

fn hybrid_psk(c: &mut Criterion) {
    let mut g = c.benchmark_group("hybrid HPKE mode_psk seal+open");
    g.measurement_time(Duration::from_secs(4));
    let mut r = rng();
    let dk = DecapsulationKey::<MlKem768>::generate(&mut r);
    let pk = HpkePublicKey::new(dk.encapsulation_key()).unwrap();
    let sk = HpkePrivateKey::new(&dk).unwrap();
    let qkd = QkdKey::random(&mut r);
    let raw_sk = <HKem as hpke::Kem>::PrivateKey::from_bytes(&dk.to_seed()[..]).unwrap();
    let raw_pk = <HKem as hpke::Kem>::PublicKey::from_bytes(&dk.encapsulation_key().to_bytes()).unwrap();
    let info = b"quantumacy/v1 bench";
    let aad = b"header";
    let key_id = qkd.id();
    for (len, label) in [(UPDATE, "248 B"), (MIB, "1 MiB")] {
        let pt = vec![7u8; len];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(BenchmarkId::new("wrapper", label), |b| {
            b.iter(|| {
                let sealed = hybrid::seal_psk(&pk, &qkd, info, aad, &pt, &mut r).unwrap();
                black_box(hybrid::open_psk(&sk, &qkd, info, aad, &sealed).unwrap())
            })
        });
        g.bench_function(BenchmarkId::new("raw", label), |b| {
            b.iter(|| {
                let psk = hpke::PskBundle::new(qkd.expose_secret(), key_id.as_bytes()).unwrap();
                let (enc, ct) = hpke::single_shot_seal_with_rng::<HAead, HKdf, HKem>(
                    &hpke::OpModeS::Psk(psk),
                    &raw_pk,
                    info,
                    &pt,
                    aad,
                    &mut r,
                )
                .unwrap();
                let bytes = enc.to_bytes();
                let enc = <HKem as hpke::Kem>::EncappedKey::from_bytes(&bytes).unwrap();
                black_box(
                    hpke::single_shot_open::<HAead, HKdf, HKem>(
                        &hpke::OpModeR::Psk(psk),
                        &raw_sk,
                        &enc,
                        info,
                        &ct,
                        aad,
                    )
                    .unwrap(),
                )
            })
        });
    }
    g.finish();
}

fn sealed_message(c: &mut Criterion) {
    let mut g = c.benchmark_group("sealed message seal+open (HPKE + ML-DSA-65)");
    g.measurement_time(Duration::from_secs(4));
    let mut r = rng();
    let sender = Sender::new(PartyId(1), SigningKey::generate(&mut r));
    let dk = DecapsulationKey::<MlKem768>::generate(&mut r);
    let to = Recipient::new(PartyId(0), dk.encapsulation_key()).unwrap();
    let session = SessionId::random(&mut r);
    for (len, label) in [(UPDATE, "248 B"), (MIB, "1 MiB")] {
        let pt = vec![9u8; len];
        let mut receiver = Receiver::new(PartyId(0), &dk).unwrap();
        receiver.trust(sender.id(), sender.verifying_key());
        let mut sequence = 0u64;
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(BenchmarkId::new("wrapper", label), |b| {
            b.iter(|| {
                sequence += 1;
                let qkd = QkdKey::random(&mut r);
                let (id, key) = (qkd.id(), *qkd.expose_secret());
                let wire = sender.seal(&to, Route { session, round: 1, sequence }, qkd, &pt, &mut r).unwrap();
                black_box(receiver.open(&wire, |i| (i == id).then(|| QkdKey::new(i, &key).unwrap())).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = ml_kem, ml_dsa, hybrid_psk, sealed_message
}
criterion_main!(benches);
