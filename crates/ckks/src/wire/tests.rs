#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::*;
use crate::{Encoder, Evaluator, Preset};

const LIMIT: usize = 1 << 24;

struct Ctx {
    params: Arc<Parameters>,
    sk: SecretKey,
    enc: Encoder,
    rng: ChaCha20Rng,
}

fn ctx(preset: Preset) -> Ctx {
    let params = Parameters::preset(preset).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let sk = SecretKey::generate(&params, &mut rng);
    Ctx { enc: Encoder::new(&params), params, sk, rng }
}

fn values(rng: &mut ChaCha20Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn max_err(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

impl Ctx {
    fn plaintext(&mut self, x: &[f64], level: usize) -> Plaintext {
        self.enc.encode_real(&self.params, x, self.params.scale(), level).unwrap()
    }

    fn decrypt(&self, ct: &Ciphertext) -> Vec<f64> {
        self.enc.decode_real(&self.params, &self.sk.decrypt(ct).unwrap()).unwrap()
    }
}

fn same(a: &Ciphertext, b: &Ciphertext) -> bool {
    a.c0 == b.c0
        && a.c1 == b.c1
        && a.level == b.level
        && a.scale.to_bits() == b.scale.to_bits()
        && a.seed == b.seed
}

#[test]
fn ciphertexts_round_trip_seeded_and_full_and_decrypt_to_the_same_values() {
    let mut c = ctx(Preset::InsecureTestN1024);
    let x = values(&mut c.rng, c.params.slots());
    let pt = c.plaintext(&x, c.params.max_level());
    let seeded = c.sk.encrypt(&pt, &mut c.rng).unwrap();
    let pk = c.sk.public_key(&mut c.rng);
    let full = pk.encrypt(&c.params, &pt, &mut c.rng).unwrap();
    for ct in [&seeded, &full] {
        let bytes = ct.to_bytes(&c.params).unwrap();
        let back = Ciphertext::from_bytes(&bytes, &c.params, LIMIT).unwrap();
        assert!(same(ct, &back));
        assert_eq!(c.decrypt(&back), c.decrypt(ct));
        assert!(max_err(&c.decrypt(&back), &x) < 1e-6);
    }
    // Seeded: c_0 packed plus a 32-byte seed; full: both halves packed.
    let packed = packed_len(c.params.basis(c.params.max_level()));
    let (s, f) = (seeded.to_bytes(&c.params).unwrap().len(), full.to_bytes(&c.params).unwrap().len());
    // Envelope (version, kind, digest, length: 52 bytes) and level, scale, lengths, tag: 13 bytes.
    assert!(s == packed + 32 + 65, "seeded {s}, packed poly {packed}");
    assert!(f == 2 * packed + 65 + 3, "full {f}");
    // An evaluated ciphertext loses its seed and travels in full, at its level.
    let eval = Evaluator::new(&c.params);
    let mut sum = eval.add(&seeded, &full).unwrap();
    eval.rescale(&mut sum).unwrap();
    let back = Ciphertext::from_bytes(&sum.to_bytes(&c.params).unwrap(), &c.params, LIMIT).unwrap();
    assert!(back.seed().is_none() && same(&sum, &back));
    let pt_back = Plaintext::from_bytes(&pt.to_bytes(&c.params).unwrap(), &c.params, LIMIT).unwrap();
    assert_eq!((pt_back.poly == pt.poly, pt_back.level, pt_back.scale), (true, pt.level, pt.scale));
}

#[test]
fn in_place_ciphertext_encoding_equals_postcard_of_the_payload_struct() {
    let mut c = ctx(Preset::InsecureTestN1024);
    let x = values(&mut c.rng, 5);
    let pt = c.plaintext(&x, 2);
    let seeded = c.sk.encrypt(&pt, &mut c.rng).unwrap();
    let pk = c.sk.public_key(&mut c.rng);
    let full = pk.encrypt(&c.params, &pt, &mut c.rng).unwrap();
    for ct in [&seeded, &full] {
        let basis = c.params.basis(ct.level);
        let (c0, c1) = (pack(&ct.c0, basis), pack(&ct.c1, basis));
        let c1 = ct.seed.map_or(Half::Packed(&c1), Half::Seed);
        let payload = CiphertextPayload { level: ct.level as u32, scale: ct.scale, c0: &c0, c1 };
        let want = seal(CIPHERTEXT, &c.params, &to_vec(&payload).unwrap()).unwrap();
        assert_eq!(ct.to_bytes(&c.params).unwrap(), want);
    }
    let mut v = Vec::new();
    for x in [0usize, 127, 128, 16_383, 16_384, 132_096] {
        v.clear();
        push_varint(&mut v, x);
        assert_eq!(v, postcard::to_allocvec(&x).unwrap(), "{x}");
    }
}

#[test]
fn keys_round_trip_and_still_work() {
    let mut c = ctx(Preset::InsecureTestN1024);
    let x = values(&mut c.rng, c.params.slots());
    let y = values(&mut c.rng, c.params.slots());
    let pk = c.sk.public_key(&mut c.rng);
    let rlk = c.sk.relinearization_key(&mut c.rng);
    let gk = c.sk.galois_keys(&[1, -3], true, &mut c.rng);
    let pk2 = PublicKey::from_bytes(&pk.to_bytes(&c.params).unwrap(), &c.params, LIMIT).unwrap();
    assert_eq!((&pk2.a, &pk2.b), (&pk.a, &pk.b));
    let rlk2 = RelinearizationKey::from_bytes(&rlk.to_bytes(&c.params).unwrap(), &c.params, LIMIT).unwrap();
    assert_eq!(rlk2.0.digits, rlk.0.digits);
    let gk2 = GaloisKeys::from_bytes(&gk.to_bytes(&c.params).unwrap(), &c.params, LIMIT).unwrap();
    assert!(gk2.elements().eq(gk.elements()));
    assert_eq!(gk2.perms, gk.perms);
    let top = c.params.max_level();
    let (px, py) = (c.plaintext(&x, top), c.plaintext(&y, top));
    let (cx, cy) =
        (pk2.encrypt(&c.params, &px, &mut c.rng).unwrap(), pk2.encrypt(&c.params, &py, &mut c.rng).unwrap());
    let eval = Evaluator::new(&c.params);
    let prod = eval.multiply_rescale(&cx, &cy, &rlk2).unwrap();
    let rot = eval.rotate(&prod, 1, &gk2).unwrap();
    let slots = c.params.slots();
    let want: Vec<f64> = (0..slots).map(|j| x[(j + 1) % slots] * y[(j + 1) % slots]).collect();
    assert!(max_err(&c.decrypt(&rot), &want) < 1e-4);
    // The secret: explicit export/import only.
    let secret = c.sk.export_secret();
    // Version, kind (length + text), digest, payload length, coefficient length, 2 bits per coefficient.
    assert_eq!(secret.len(), 1 + 1 + SECRET_KEY.len() + 32 + 2 + 2 + c.params.degree() / 4);
    let sk2 = SecretKey::import_secret(&secret, &c.params, LIMIT).unwrap();
    assert_eq!(sk2.coeffs, c.sk.coeffs);
    assert_eq!(c.enc.decode_real(&c.params, &sk2.decrypt(&rot).unwrap()).unwrap(), c.decrypt(&rot));
}

#[test]
fn sizes_at_n8192_three_data_limbs_meet_the_targets() {
    let mut c = ctx(Preset::N8192Depth3);
    let x = values(&mut c.rng, c.params.slots());
    let pt = c.plaintext(&x, 2);
    let seeded = c.sk.encrypt(&pt, &mut c.rng).unwrap().to_bytes(&c.params).unwrap();
    let pk = c.sk.public_key(&mut c.rng);
    let full = pk.encrypt(&c.params, &pt, &mut c.rng).unwrap().to_bytes(&c.params).unwrap();
    // [49, 40, 40] bits × 8192 / 8 = 132,096 bytes per polynomial.
    assert_eq!(packed_len(c.params.basis(2)), 132_096);
    assert!(seeded.len() <= 150_000, "seeded {}", seeded.len());
    assert!(full.len() <= 290_000, "public-key {}", full.len());
}

/// A fresh symmetric ciphertext at level 1 and its bytes.
fn sample() -> (Ctx, Vec<u8>) {
    let mut c = ctx(Preset::InsecureTestN1024);
    let x = values(&mut c.rng, 8);
    let pt = c.plaintext(&x, 1);
    let bytes = c.sk.encrypt(&pt, &mut c.rng).unwrap().to_bytes(&c.params).unwrap();
    (c, bytes)
}

#[test]
fn truncated_oversized_trailing_and_flipped_headers_are_rejected() {
    let (c, bytes) = sample();
    let p = &c.params;
    for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
        let err = Ciphertext::from_bytes(&bytes[..cut], p, LIMIT).unwrap_err();
        assert!(matches!(err, Error::Truncated | Error::Malformed { .. }), "cut at {cut}: {err:?}");
    }
    assert_eq!(
        Ciphertext::from_bytes(&bytes, p, bytes.len() - 1).unwrap_err(),
        Error::Oversize { len: bytes.len(), limit: bytes.len() - 1 }
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(Ciphertext::from_bytes(&longer, p, LIMIT).unwrap_err(), Error::TrailingBytes { count: 1 });
    // Every byte of the envelope (version, kind, digest, payload length) and the level. (The scale and the
    // residue bits carry no redundancy: integrity is the transport's job, e.g. a sealed message.)
    for i in 0..52 {
        let mut t = bytes.clone();
        t[i] ^= 0x41;
        assert!(Ciphertext::from_bytes(&t, p, LIMIT).is_err(), "flip at {i} accepted");
    }
}

#[test]
fn wrong_version_kind_parameters_and_values_are_typed_errors() {
    let (c, bytes) = sample();
    let p = &c.params;
    let env: Envelope<'_> = from_slice_exact(&bytes).unwrap();
    let bumped = seal_with_version(FORMAT_VERSION + 1, CIPHERTEXT, p, env.payload).unwrap();
    assert_eq!(
        Ciphertext::from_bytes(&bumped, p, LIMIT).unwrap_err(),
        Error::FormatVersion { found: FORMAT_VERSION + 1, expected: FORMAT_VERSION }
    );
    assert!(matches!(
        Plaintext::from_bytes(&bytes, p, LIMIT),
        Err(Error::WrongType { expected: PLAINTEXT, .. })
    ));
    let other = Parameters::preset(Preset::InsecureTestN4096).unwrap();
    assert_eq!(Ciphertext::from_bytes(&bytes, &other, LIMIT).unwrap_err(), Error::WrongParameters);
    let n8192 = Parameters::preset(Preset::N8192Depth3).unwrap();
    assert_eq!(Ciphertext::from_bytes(&bytes, &n8192, LIMIT).unwrap_err(), Error::WrongParameters);

    // A residue equal to its prime: limb 0, coefficient 0 of c_0.
    let ct = Ciphertext::from_bytes(&bytes, p, LIMIT).unwrap();
    let basis = p.basis(ct.level);
    let mut c0 = pack(&ct.c0, basis);
    let q = p.chain()[0].value();
    let w = 64 - q.leading_zeros();
    for b in 0..w as usize {
        let bit = (q >> b) & 1 == 1;
        let (byte, off) = (b / 8, b % 8);
        c0[byte] = (c0[byte] & !(1 << off)) | (u8::from(bit) << off);
    }
    let forged = |level: u32, scale: f64, c0: &[u8]| {
        let payload = CiphertextPayload { level, scale, c0, c1: Half::Seed(ct.seed.unwrap()) };
        seal(CIPHERTEXT, p, &to_vec(&payload).unwrap()).unwrap()
    };
    let good = pack(&ct.c0, basis);
    assert!(Ciphertext::from_bytes(&forged(1, ct.scale, &good), p, LIMIT).is_ok());
    assert_eq!(
        Ciphertext::from_bytes(&forged(1, ct.scale, &c0), p, LIMIT).unwrap_err(),
        Error::OutOfRange { limb: 0, index: 0 }
    );
    assert_eq!(
        Ciphertext::from_bytes(&forged(9, ct.scale, &good), p, LIMIT).unwrap_err(),
        Error::Malformed { what: "level" }
    );
    assert_eq!(
        Ciphertext::from_bytes(&forged(2, ct.scale, &good), p, LIMIT).unwrap_err(),
        Error::Malformed { what: "packed polynomial length" }
    );
    for scale in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
        assert_eq!(
            Ciphertext::from_bytes(&forged(1, scale, &good), p, LIMIT).unwrap_err(),
            Error::Malformed { what: "scale" }
        );
    }
}

#[test]
fn bad_keys_are_typed_errors() {
    let mut c = ctx(Preset::InsecureTestN1024);
    let p = Arc::clone(&c.params);
    let gk = c.sk.galois_keys(&[1], false, &mut c.rng);
    let good = gk.to_bytes(&p).unwrap();
    let env: Envelope<'_> = from_slice_exact(&good).unwrap();
    let mut payload: GaloisPayload<'_> = from_slice_exact(env.payload).unwrap();
    payload.keys[0].0 = 4;
    let even = seal(GALOIS_KEYS, &p, &to_vec(&payload).unwrap()).unwrap();
    assert_eq!(
        GaloisKeys::from_bytes(&even, &p, LIMIT).unwrap_err(),
        Error::Malformed { what: "Galois element" }
    );
    payload.keys[0].1.digits.pop();
    payload.keys[0].0 = 5;
    let short = seal(GALOIS_KEYS, &p, &to_vec(&payload).unwrap()).unwrap();
    assert_eq!(
        GaloisKeys::from_bytes(&short, &p, LIMIT).unwrap_err(),
        Error::Malformed { what: "number of key-switching digits" }
    );
    assert!(matches!(
        RelinearizationKey::from_bytes(&good, &p, LIMIT),
        Err(Error::WrongType { expected: RELIN_KEY, .. })
    ));
    let other = Parameters::preset(Preset::InsecureTestN4096).unwrap();
    assert_eq!(
        PublicKey::from_bytes(&c.sk.public_key(&mut c.rng).to_bytes(&p).unwrap(), &other, LIMIT).unwrap_err(),
        Error::WrongParameters
    );
    // The unused 2-bit secret code.
    let mut coeffs = vec![0u8; p.degree() / 4];
    coeffs[3] = 0b10 << 2;
    let env = Envelope {
        format_version: FORMAT_VERSION,
        kind: SECRET_KEY,
        params: *p.digest(),
        payload: &to_vec(&SecretPayload { coeffs: &coeffs }).unwrap(),
    };
    let bytes = postcard::to_allocvec(&env).unwrap();
    assert_eq!(
        SecretKey::import_secret(&bytes, &p, LIMIT).unwrap_err(),
        Error::OutOfRange { limb: 0, index: 13 }
    );
    assert_eq!(SecretKey::import_secret(&bytes, &other, LIMIT).unwrap_err(), Error::WrongParameters);
    assert!(matches!(SecretKey::import_secret(&bytes[..bytes.len() - 5], &p, LIMIT), Err(Error::Truncated)));
}
