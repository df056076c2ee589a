//! Golden blobs of CKKS wire-format version 1, committed under `data/kat/`: an exported secret key, a seeded
//! symmetric ciphertext (`c_0` + seed) and a public-key ciphertext (both halves packed), all for the INSECURE test
//! preset `InsecureTestN1024` at level 0. They must keep decoding, decrypting to the same values and
//! re-encoding byte for byte: a change to the wire format has to bump `FORMAT_VERSION` and add new blobs.
//! Regenerate (only together with a version bump) with `QUANTUMACY_REGENERATE=1 cargo test -p quantumacy-ckks
//! --test golden`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::PathBuf;

use quantumacy_ckks::{Ciphertext, Encoder, FORMAT_VERSION, Parameters, Preset, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const VALUES: [f64; 4] = [0.5, -0.25, 1.0, -0.125];
const LIMIT: usize = 1 << 20;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/kat").join(name)
}

#[test]
fn golden_v1_blobs_decode_decrypt_and_reencode() {
    assert_eq!(FORMAT_VERSION, 1);
    let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
    let enc = Encoder::new(&params);
    let names = ["ckks-secret-key-v1.bin", "ckks-ciphertext-seeded-v1.bin", "ckks-ciphertext-pk-v1.bin"];
    if std::env::var_os("QUANTUMACY_REGENERATE").is_some() {
        let mut rng = ChaCha20Rng::seed_from_u64(0xc4c5);
        let sk = SecretKey::generate(&params, &mut rng);
        let pk = sk.public_key(&mut rng);
        let pt = enc.encode_real(&params, &VALUES, params.scale(), 0).unwrap();
        let seeded = sk.encrypt(&pt, &mut rng).unwrap().to_bytes(&params).unwrap();
        let full = pk.encrypt(&params, &pt, &mut rng).unwrap().to_bytes(&params).unwrap();
        for (name, bytes) in names.iter().zip([sk.export_secret().to_vec(), seeded, full]) {
            std::fs::write(path(name), bytes).unwrap();
        }
    }
    let [secret, seeded, full] = names.map(|name| std::fs::read(path(name)).unwrap());
    let sk = SecretKey::import_secret(&secret, &params, LIMIT).unwrap();
    assert_eq!(sk.export_secret().as_slice(), secret.as_slice());
    for (blob, is_seeded) in [(&seeded, true), (&full, false)] {
        let ct = Ciphertext::from_bytes(blob, &params, LIMIT).unwrap();
        assert_eq!((ct.level(), ct.seed().is_some()), (0, is_seeded));
        assert_eq!(&ct.to_bytes(&params).unwrap(), blob);
        let got = enc.decode_real(&params, &sk.decrypt(&ct).unwrap()).unwrap();
        for (g, w) in got.iter().zip(VALUES.iter().chain(std::iter::repeat(&0.0))) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }
}
