//! NIST ACVP known-answer vectors (a subset, see `data/kat/PROVENANCE.md`) for ML-KEM keyGen and
//! encapsulation/decapsulation (FIPS 203) and ML-DSA keyGen, sigGen and sigVer (FIPS 204).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a malformed vector file should panic"
)]

use std::path::PathBuf;

use quantumacy_pqc::hazmat;
use quantumacy_pqc::kem::{
    Ciphertext, DecapsulationKey, EncapsulationKey, KemParameterSet, MlKem512, MlKem768, MlKem1024,
};
use quantumacy_pqc::sign::{
    MlDsa44, MlDsa65, MlDsa87, Signature, SignatureParameterSet, SigningKey, VerifyingKey,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/kat").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn groups<'a>(v: &'a Value, set: &str) -> impl Iterator<Item = &'a Value> {
    let set = set.to_owned();
    v["testGroups"].as_array().unwrap().iter().filter(move |g| g["parameterSet"] == set.as_str())
}

fn kem_keygen<P: KemParameterSet>(v: &Value) -> usize {
    let mut n = 0;
    for g in groups(v, P::NAME) {
        for t in g["tests"].as_array().unwrap() {
            let seed = [hex(&t["d"]), hex(&t["z"])].concat();
            let dk = DecapsulationKey::<P>::from_seed(&seed).unwrap();
            assert_eq!(dk.encapsulation_key().to_bytes(), hex(&t["ek"]), "{} tc {}", P::NAME, t["tcId"]);
            assert_eq!(hazmat::expanded_decapsulation_key(&dk).as_slice(), hex(&t["dk"]).as_slice());
            n += 1;
        }
    }
    n
}

#[test]
fn ml_kem_keygen_vectors() {
    let v = load("ml-kem-keygen.json");
    let n = kem_keygen::<MlKem512>(&v) + kem_keygen::<MlKem768>(&v) + kem_keygen::<MlKem1024>(&v);
    assert_eq!(n, 6);
}

fn kem_encap_decap<P: KemParameterSet>(v: &Value) -> (usize, usize) {
    let (mut encaps, mut decaps) = (0, 0);
    for g in groups(v, P::NAME) {
        for t in g["tests"].as_array().unwrap() {
            if g["function"] == "encapsulation" {
                let ek = EncapsulationKey::<P>::from_bytes(&hex(&t["ek"])).unwrap();
                let m: [u8; 32] = hex(&t["m"]).try_into().unwrap();
                let (ct, k) = hazmat::encapsulate_deterministic(&ek, &m);
                assert_eq!(ct.as_bytes(), hex(&t["c"]).as_slice(), "{} tc {}", P::NAME, t["tcId"]);
                assert_eq!(k.expose_secret().as_slice(), hex(&t["k"]).as_slice());
                // The expanded dk of the vector decapsulates our ciphertext to the same key.
                let dk = hazmat::ExpandedDecapsulationKey::<P>::from_bytes(&hex(&t["dk"])).unwrap();
                assert_eq!(dk.decapsulate(&ct).expose_secret(), k.expose_secret());
                encaps += 1;
            } else {
                let dk = hazmat::ExpandedDecapsulationKey::<P>::from_bytes(&hex(&g["dk"])).unwrap();
                let ct = Ciphertext::<P>::from_bytes(&hex(&t["c"])).unwrap();
                // "modify ciphertext" cases expect the implicit-rejection key J(z ‖ c).
                assert_eq!(
                    dk.decapsulate(&ct).expose_secret().as_slice(),
                    hex(&t["k"]).as_slice(),
                    "{} tc {} ({})",
                    P::NAME,
                    t["tcId"],
                    t["reason"]
                );
                decaps += 1;
            }
        }
    }
    (encaps, decaps)
}

#[test]
fn ml_kem_encap_decap_vectors() {
    let v = load("ml-kem-encapdecap.json");
    let a = kem_encap_decap::<MlKem512>(&v);
    let b = kem_encap_decap::<MlKem768>(&v);
    let c = kem_encap_decap::<MlKem1024>(&v);
    assert_eq!((a.0 + b.0 + c.0, a.1 + b.1 + c.1), (6, 14));
}

fn dsa_keygen<P: SignatureParameterSet>(v: &Value) -> usize {
    let mut n = 0;
    for g in groups(v, P::NAME) {
        for t in g["tests"].as_array().unwrap() {
            let sk = SigningKey::<P>::from_seed(&hex(&t["seed"])).unwrap();
            assert_eq!(sk.verifying_key().to_bytes(), hex(&t["pk"]), "{} tc {}", P::NAME, t["tcId"]);
            assert_eq!(hazmat::expanded_signing_key(&sk).as_slice(), hex(&t["sk"]).as_slice());
            n += 1;
        }
    }
    n
}

#[test]
fn ml_dsa_keygen_vectors() {
    let v = load("ml-dsa-keygen.json");
    assert_eq!(dsa_keygen::<MlDsa44>(&v) + dsa_keygen::<MlDsa65>(&v) + dsa_keygen::<MlDsa87>(&v), 6);
}

fn dsa_siggen<P: SignatureParameterSet>(v: &Value) -> usize {
    let mut n = 0;
    for g in groups(v, P::NAME) {
        for t in g["tests"].as_array().unwrap() {
            // Deterministic groups sign with rnd = 0³² (FIPS 204 Algorithm 2, deterministic variant).
            let rnd: [u8; 32] =
                if g["deterministic"] == true { [0; 32] } else { hex(&t["rnd"]).try_into().unwrap() };
            let sig = hazmat::sign_internal::<P>(&hex(&t["sk"]), &hex(&t["message"]), &rnd).unwrap();
            assert_eq!(sig.as_bytes(), hex(&t["signature"]).as_slice(), "{} tc {}", P::NAME, t["tcId"]);
            n += 1;
        }
    }
    n
}

#[test]
fn ml_dsa_siggen_vectors() {
    let v = load("ml-dsa-siggen.json");
    assert_eq!(dsa_siggen::<MlDsa44>(&v) + dsa_siggen::<MlDsa65>(&v) + dsa_siggen::<MlDsa87>(&v), 12);
}

fn dsa_sigver<P: SignatureParameterSet>(v: &Value) -> (usize, usize) {
    let (mut pass, mut fail) = (0, 0);
    for g in groups(v, P::NAME) {
        let vk = VerifyingKey::<P>::from_bytes(&hex(&g["pk"])).unwrap();
        for t in g["tests"].as_array().unwrap() {
            let sig = Signature::<P>::from_bytes(&hex(&t["signature"])).unwrap();
            let ok = hazmat::verify_internal(&vk, &hex(&t["message"]), &sig).is_ok();
            assert_eq!(
                ok,
                t["testPassed"].as_bool().unwrap(),
                "{} tc {} ({})",
                P::NAME,
                t["tcId"],
                t["reason"]
            );
            if ok { pass += 1 } else { fail += 1 }
        }
    }
    (pass, fail)
}

#[test]
fn ml_dsa_sigver_vectors() {
    let v = load("ml-dsa-sigver.json");
    let a = dsa_sigver::<MlDsa44>(&v);
    let b = dsa_sigver::<MlDsa65>(&v);
    let c = dsa_sigver::<MlDsa87>(&v);
    assert_eq!((a.0 + b.0 + c.0, a.1 + b.1 + c.1), (3, 12));
}
