//! The end-to-end pipeline — "three-way quantum encryption: at rest, in transport and in processing" — on the
//! bundled data only, as `quantumacy demo` runs it. Every figure in the [`DemoReport`] is computed in the run.
//!
//! Three hospitals (parties 1–3) and an aggregator (party 0):
//! 1. **Keys** ([`quantumacy_qkd`]): a simulated 25 km decoy-state BB84 link (preset `gys`, vacuum + weak decoys,
//!    source settings optimised for the finite key of the pulse budget) between each hospital and the aggregator,
//!    post-processed (authenticated sifting, Cascade, finite-key length, Toeplitz amplification) into identical
//!    secret keys on both ends, checked equal and cut into 256-bit single-use keys with public key IDs — the
//!    hospital's and the aggregator's copies kept apart, as two ETSI GS QKD 014 key stores would.
//! 2. **Sealed record** ([`quantumacy_pqc`]): one WDBC patient record sent hospital 1 → aggregator as a sealed
//!    message (HPKE mode_psk with ML-KEM-768 and a fresh QKD key as PSK, signed with ML-DSA-65); a tampered copy
//!    and a replayed copy are shown to be rejected.
//! 3. **Federated learning** ([`quantumacy_fl`]): logistic regression over three hospitals on WDBC (IID) and on
//!    Parkinson's (split by subject); every update delta travels as a sealed message under a fresh QKD key
//!    ([`quantumacy_fl::Federation::run_round_over`]).
//! 4. **Encrypted inference** ([`quantumacy_ckks`]): the federated WDBC model scores CKKS-encrypted test
//!    patients, batched (column-packed, seeded symmetric encryption) and one patient per public-key ciphertext,
//!    against the plaintext polynomial. Keys, ciphertexts and replies cross between the parties in the CKKS wire
//!    format and are decoded under size limits against the expected parameters.
//! 5. **Optical MPC** ([`quantumacy_optical`]): MNIST test images through the simulated optical engine at the
//!    operating point of Sulimany et al. (< 0.1 bit leaked per weight symbol, < 0.01 per data symbol).
//!
//! The run is deterministic for a seed (every generator is a seeded ChaCha20). That suits a demonstration and
//! its tests; a deployment draws its keys from the operating system.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use quantumacy_ckks::lr::{LogisticModel, sigmoid3_fit};
use quantumacy_ckks::{
    Ciphertext, Encoder, Evaluator, GaloisKeys, Parameters, Preset as CkksPreset, RelinearizationKey,
    SecretKey,
};
use quantumacy_data::{DataDir, Dataset, ImageSet};
use quantumacy_fl::{
    FederatedConfig, Federation, FlDataset, Model, Partition, RoundReport, TrainTest, prepare,
};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::sweep::{Budget, operating_point};
use quantumacy_optical::{GaussianEngine, Network};
use quantumacy_pqc::hybrid::{KeyId, QKD_KEY_LEN, QkdKey};
use quantumacy_pqc::kem::{DecapsulationKey, MlKem768};
use quantumacy_pqc::sealed::{PartyId, Receiver, Recipient, Route, Sender, SessionId};
use quantumacy_pqc::sign::SigningKey;
use quantumacy_qkd::link::{LinkRun, run as run_link};
use quantumacy_qkd::postprocess::PostConfig;
use quantumacy_qkd::protocol::EstimationConfig;
use quantumacy_qkd::sim::{Engine, LinkConfig};
use quantumacy_qkd::theory::{Finite, FiniteConfig, Security};
use quantumacy_qkd::{BitVec, Preset, Protocol};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Hospitals in the federation.
pub const HOSPITALS: usize = 3;
/// Length of every QKD link (km).
pub const DISTANCE_KM: f64 = 25.0;
/// The aggregator's party ID.
pub const AGGREGATOR: PartyId = PartyId(0);
/// Key-length split seed shared by the FL stages (the reference setup's 80/20 split).
const SPLIT_SEED: u64 = 42;
/// The encrypted-inference acceptance: every encrypted probability within this of the plaintext polynomial.
pub const MAX_ABS_DP: f64 = 1e-3;
/// Size limit the aggregator decodes a CKKS ciphertext under (a fresh one at N = 8192, 4 limbs is ≈ 346 kB).
const CIPHERTEXT_LIMIT: usize = 1 << 20;
/// Size limit for evaluation keys.
const KEY_LIMIT: usize = 64 << 20;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Smaller workloads (for tests): fewer pulses, rounds, patients and images.
    pub quick: bool,
}

impl DemoConfig {
    /// Pulses per QKD link.
    pub fn pulses(&self) -> u64 {
        if self.quick { 200_000_000 } else { 1_000_000_000 }
    }

    /// Federated rounds per dataset.
    pub fn rounds(&self) -> usize {
        if self.quick { 10 } else { 20 }
    }

    /// Patients scored one per ciphertext.
    pub fn single_patients(&self) -> usize {
        if self.quick { 2 } else { 8 }
    }

    /// MNIST test images for the optical stage.
    pub fn images(&self) -> usize {
        if self.quick { 1_000 } else { 10_000 }
    }
}

/// The stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// QKD key generation.
    Keys,
    /// The sealed health record.
    Record,
    /// Federated learning with sealed updates.
    Federated,
    /// CKKS-encrypted inference.
    Encrypted,
    /// Optical MPC inference.
    Optical,
}

impl Stage {
    /// A short human name.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Keys => "QKD keys",
            Stage::Record => "sealed record",
            Stage::Federated => "federated learning",
            Stage::Encrypted => "encrypted inference",
            Stage::Optical => "optical MPC",
        }
    }
}

/// Receives progress: a stage begins with a number of steps, steps advance, the stage ends.
pub trait Progress {
    /// `stage` starts; it has `steps` steps.
    fn begin(&mut self, stage: Stage, steps: u64);
    /// One step of the current stage is done.
    fn advance(&mut self);
    /// The current stage is done.
    fn end(&mut self);
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&mut self, _: Stage, _: u64) {}
    fn advance(&mut self) {}
    fn end(&mut self) {}
}

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A bundled file is missing or corrupt.
    #[error("data: {0}")]
    Data(#[from] quantumacy_data::Error),
    /// The QKD simulator refused its settings.
    #[error("QKD: {0}")]
    Qkd(#[from] quantumacy_qkd::Error),
    /// A QKD link produced no key.
    #[error("QKD link to hospital {hospital} produced no key: {reason}")]
    NoKey {
        /// The hospital.
        hospital: u64,
        /// The protocol's abort reason.
        reason: String,
    },
    /// Even the optimal source settings give no finite key for this distance and pulse budget.
    #[error("no finite key is possible at {distance_km} km with {pulses} pulses per link")]
    NoFiniteKey {
        /// Link length (km).
        distance_km: f64,
        /// Pulses per link.
        pulses: u64,
    },
    /// The two ends of a link hold different keys (reconciliation failed undetected — never expected).
    #[error("QKD link to hospital {hospital}: the two ends' keys differ")]
    KeysDiffer {
        /// The hospital.
        hospital: u64,
    },
    /// A link's key store ran dry.
    #[error("QKD key store of hospital {hospital} is exhausted after {used} keys; run more pulses")]
    KeysExhausted {
        /// The hospital.
        hospital: u64,
        /// Keys handed out.
        used: usize,
    },
    /// A post-quantum primitive or a sealed message failed.
    #[error("PQC: {0}")]
    Pqc(#[from] quantumacy_pqc::Error),
    /// Federated learning failed.
    #[error("federated learning: {0}")]
    Fl(#[from] quantumacy_fl::Error),
    /// CKKS failed.
    #[error("CKKS: {0}")]
    Ckks(#[from] quantumacy_ckks::Error),
    /// The optical engine failed.
    #[error("optical MPC: {0}")]
    Optical(#[from] quantumacy_optical::Error),
    /// A message payload did not encode or decode.
    #[error("encoding of {what} failed")]
    Encoding {
        /// What.
        what: &'static str,
    },
}

/// Shorthand for this module's results.
pub type Result<T, E = DemoError> = std::result::Result<T, E>;

/// Everything the run measured.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The seed.
    pub seed: u64,
    /// Whether the workloads were the quick ones.
    pub quick: bool,
    /// Stage 1.
    pub keys: KeysReport,
    /// Stage 2.
    pub record: RecordReport,
    /// Stage 3.
    pub federated: Vec<FederatedReport>,
    /// Stage 4.
    pub encrypted: InferenceReport,
    /// Stage 5.
    pub optical: OpticalReport,
    /// Wall time per stage (s), in stage order.
    pub stage_seconds: Vec<(Stage, f64)>,
    /// Wall time of the whole run (s).
    pub total_seconds: f64,
}

/// Stage 1: one row per hospital–aggregator link.
#[derive(Debug, Clone, Serialize)]
pub struct KeysReport {
    /// Link length (km).
    pub distance_km: f64,
    /// Pulses sent per link.
    pub pulses: u64,
    /// The links.
    pub links: Vec<LinkRow>,
}

/// One QKD link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkRow {
    /// The hospital at Alice's end (the aggregator is Bob).
    pub hospital: u64,
    /// Signal intensity μ chosen by the finite-key optimiser.
    pub mu: f64,
    /// Sifted key-basis signal QBER (from the disclosed sample).
    pub qber: f64,
    /// Lower bound on the single-photon yield Y₁ (decoy estimate).
    pub y1_lower: f64,
    /// Upper bound on the single-photon error rate e₁.
    pub e1_upper: f64,
    /// Raw key bits reconciled.
    pub raw_key_bits: u64,
    /// Cascade efficiency f = leaked / (n·h(Q)).
    pub cascade_efficiency: f64,
    /// Bits disclosed by error correction (parities and verification hashes).
    pub leaked_bits: u64,
    /// Final secret key bits (each end).
    pub final_key_bits: u64,
    /// Final key bits minus the authentication key spent.
    pub net_key_bits: u64,
    /// Both ends' keys compared equal (constant time).
    pub keys_equal: bool,
    /// Secret key rate per pulse sent.
    pub secret_key_rate_per_pulse: f64,
    /// Final key bits per second of simulated-and-processed wall time.
    pub secret_bits_per_second: f64,
    /// 256-bit single-use keys in the store.
    pub keys_256: usize,
    /// Wall time (s).
    pub seconds: f64,
}

/// Stage 2.
#[derive(Debug, Clone, Serialize)]
pub struct RecordReport {
    /// Test-set index of the WDBC record sent.
    pub record: usize,
    /// Plaintext bytes.
    pub plaintext_bytes: usize,
    /// Sealed message bytes.
    pub sealed_bytes: usize,
    /// The QKD key used as PSK (public ID).
    pub qkd_key_id: String,
    /// Time to seal and sign (ms).
    pub seal_ms: f64,
    /// Time to verify and open (ms).
    pub open_ms: f64,
    /// The aggregator recovered exactly the record sent.
    pub delivered_intact: bool,
    /// A copy with one flipped bit was refused …
    pub tampered_rejected: bool,
    /// … with this (local) reason (empty if it was accepted).
    pub tampered_reason: String,
    /// A replayed copy of the accepted message was refused …
    pub replay_rejected: bool,
    /// … with this reason (empty if it was accepted).
    pub replay_reason: String,
    /// What the sender is told in both cases (opaque).
    pub peer_sees: String,
}

/// Stage 3, one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct FederatedReport {
    /// The dataset.
    pub dataset: FlDataset,
    /// How the training rows were spread over the hospitals.
    pub partition: String,
    /// Training rows per hospital.
    pub hospital_sizes: Vec<usize>,
    /// Test rows.
    pub test_examples: usize,
    /// Per round.
    pub rounds: Vec<FlRound>,
    /// Test accuracy after the last round.
    pub final_test_accuracy: f64,
    /// Test ROC AUC after the last round.
    pub final_test_auc: Option<f64>,
    /// Sealed updates sent and accepted.
    pub sealed_updates: usize,
    /// Mean bytes of a sealed update.
    pub mean_sealed_bytes: f64,
    /// Time spent sealing and opening updates, per update (ms).
    pub seal_open_ms_per_update: f64,
}

/// One federated round.
#[derive(Debug, Clone, Serialize)]
pub struct FlRound {
    /// 1-based round.
    pub round: usize,
    /// Test accuracy of the new global model.
    pub test_accuracy: f64,
    /// Test log-loss.
    pub test_loss: f64,
    /// Updates aggregated.
    pub clients: usize,
    /// Updates refused (with reasons).
    pub rejected: Vec<String>,
    /// Wall time including sealing (ms).
    pub elapsed_ms: f64,
}

/// Stage 4.
#[derive(Debug, Clone, Serialize)]
pub struct InferenceReport {
    /// CKKS parameter preset.
    pub ckks_preset: &'static str,
    /// Features per patient.
    pub features: usize,
    /// Test patients scored (batched).
    pub patients: usize,
    /// Plaintext accuracy with the exact sigmoid.
    pub plaintext_accuracy: f64,
    /// Plaintext accuracy with the cubic sigmoid the server evaluates.
    pub plaintext_poly_accuracy: f64,
    /// Accuracy of the decrypted encrypted probabilities.
    pub encrypted_accuracy: f64,
    /// Largest |encrypted − plaintext polynomial| probability, batched.
    pub max_abs_dp_batched: f64,
    /// Largest |encrypted − plaintext polynomial| probability, one patient per ciphertext.
    pub max_abs_dp_single: f64,
    /// Encrypted labels equal the plaintext-polynomial labels for every patient.
    pub labels_identical: bool,
    /// Patients whose encrypted label equals the label of the exact plaintext sigmoid.
    pub labels_as_exact_sigmoid: usize,
    /// The sigmoid's interval `[−R, R]` (from the hospitals' training logits).
    pub sigmoid_radius: f64,
    /// The cubic `[c₀, c₁, c₂, c₃]` the server evaluates.
    pub sigmoid: [f64; 4],
    /// Test logits beyond `±√(c₁/|c₃|)`, where the cubic's label flips back.
    pub logits_outside_cubic_range: usize,
    /// Key generation (secret, public, relinearization, Galois) (ms).
    pub keygen_ms: f64,
    /// Evaluation keys (relinearization + Galois) as sent to the aggregator (bytes).
    pub evaluation_key_bytes: usize,
    /// Batched upload: the column ciphertexts, seeded symmetric encryption (bytes).
    pub batch_upload_bytes: usize,
    /// The scored ciphertext sent back (bytes).
    pub batch_result_bytes: usize,
    /// Single vector: one public-key ciphertext (bytes).
    pub single_upload_bytes: usize,
    /// Batched: encrypt and serialize all columns (ms).
    pub batch_encrypt_ms: f64,
    /// Batched: the aggregator's decoding of the uploaded columns (ms).
    pub batch_decode_ms: f64,
    /// Batched: the aggregator's evaluation, per patient (ms).
    pub batch_eval_ms_per_patient: f64,
    /// Batched: encrypt + decode + evaluate + decrypt per patient (ms).
    pub batch_e2e_ms_per_patient: f64,
    /// Patients scored one per ciphertext.
    pub single_patients: usize,
    /// Single vector: encrypt + evaluate + decrypt, median (ms).
    pub single_e2e_ms: f64,
}

/// Stage 5.
#[derive(Debug, Clone, Serialize)]
pub struct OpticalReport {
    /// MNIST test images classified.
    pub images: usize,
    /// Mean photons per weight symbol μ at the operating point.
    pub mu: f64,
    /// Client amplifier gain G.
    pub gain: f64,
    /// Signal-to-noise F.
    pub snr: f64,
    /// Accuracy through the noisy optical engine.
    pub accuracy: f64,
    /// Accuracy of the same network without noise.
    pub noise_free_accuracy: f64,
    /// Bits leaked per weight symbol (Holevo bound).
    pub weight_leakage_bits: f64,
    /// Bits leaked per data symbol.
    pub data_leakage_bits: f64,
    /// Images per second.
    pub images_per_second: f64,
}

/// One end's copy of a link's key: 256-bit single-use keys with public IDs. The hospital hands them out in
/// order ([`KeyStore::next`]); the aggregator fetches them by ID ([`KeyStore::take`]), each at most once.
struct KeyStore {
    hospital: u64,
    order: VecDeque<KeyId>,
    keys: HashMap<KeyId, Zeroizing<[u8; QKD_KEY_LEN]>>,
    used: usize,
}

impl KeyStore {
    /// Cuts `secret` into whole 256-bit keys; key `i` gets the ID `"QKD" ‖ hospital ‖ i` (public, and the
    /// same at both ends without any exchange).
    fn new(hospital: u64, secret: &BitVec) -> Self {
        let bytes = Zeroizing::new(secret.to_bytes());
        let whole = secret.len() / (8 * QKD_KEY_LEN);
        let mut order = VecDeque::with_capacity(whole);
        let mut keys = HashMap::with_capacity(whole);
        for (i, chunk) in bytes.chunks_exact(QKD_KEY_LEN).take(whole).enumerate() {
            let mut id = [0u8; 16];
            id[..3].copy_from_slice(b"QKD");
            id[3] = hospital as u8;
            id[8..].copy_from_slice(&(i as u64).to_be_bytes());
            let id = KeyId::from_bytes(id);
            let mut key = Zeroizing::new([0u8; QKD_KEY_LEN]);
            key.copy_from_slice(chunk);
            order.push_back(id);
            keys.insert(id, key);
        }
        Self { hospital, order, keys, used: 0 }
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    /// The next unused key in ID order (sender side; IDs already taken are skipped).
    fn next(&mut self) -> Result<QkdKey> {
        while let Some(id) = self.order.pop_front() {
            if let Some(key) = self.take(id) {
                return Ok(key);
            }
        }
        Err(DemoError::KeysExhausted { hospital: self.hospital, used: self.used })
    }

    /// The key with this ID, removed from the store (receiver side).
    fn take(&mut self, id: KeyId) -> Option<QkdKey> {
        let key = self.keys.remove(&id)?;
        self.used += 1;
        QkdKey::new(id, key.as_slice()).ok()
    }
}

/// The parties' long-term post-quantum keys and each link's two key stores.
struct Parties {
    hospitals: Vec<Sender>,
    aggregator: Receiver,
    to_aggregator: Recipient,
    hospital_keys: Vec<KeyStore>,
    aggregator_keys: Vec<KeyStore>,
}

impl Parties {
    /// Hospital `h` (0-based) seals `plaintext` for the aggregator under its next QKD key.
    fn seal(
        &mut self,
        h: usize,
        route: Route,
        plaintext: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<(Vec<u8>, KeyId)> {
        let key = self.hospital_keys[h].next()?;
        let id = key.id();
        Ok((self.hospitals[h].seal(&self.to_aggregator, route, key, plaintext, rng)?, id))
    }

    /// The aggregator verifies and opens a message from hospital `h` with its own copy of the key.
    fn open(&mut self, h: usize, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, quantumacy_pqc::Error> {
        let store = &mut self.aggregator_keys[h];
        Ok(self.aggregator.open(bytes, |id| store.take(id))?.plaintext)
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Runs the five stages on the bundled data in `dir`.
///
/// # Errors
/// [`DemoError`] naming the stage's failure: missing or corrupt data, a QKD link without key, an exhausted key
/// store, or a cryptographic failure. (An attack that is not rejected is reported as such, not as an error.)
pub fn run(dir: &DataDir, config: &DemoConfig, progress: &mut dyn Progress) -> Result<DemoReport> {
    let start = Instant::now();
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let mut stage_seconds = Vec::with_capacity(5);
    let mut timed = |stage: Stage, t: Instant| stage_seconds.push((stage, t.elapsed().as_secs_f64()));

    // Every input first, so that a missing or corrupt file stops the run before any work.
    let wdbc = FlDataset::Wdbc.load(dir, SPLIT_SEED)?;
    let parkinsons = FlDataset::Parkinsons.load(dir, SPLIT_SEED)?;
    let mnist = quantumacy_data::mnist::load_test(dir)?;
    let net = quantumacy_optical::pretrained::mlp(dir)?;

    let t = Instant::now();
    progress.begin(Stage::Keys, HOSPITALS as u64);
    let (keys, mut parties) = key_stage(config, &mut rng, progress)?;
    progress.end();
    timed(Stage::Keys, t);

    let t = Instant::now();
    progress.begin(Stage::Record, 3);
    let record = record_stage(&wdbc, &mut parties, &mut rng, progress)?;
    progress.end();
    timed(Stage::Record, t);

    let t = Instant::now();
    progress.begin(Stage::Federated, 2 * config.rounds() as u64);
    let (wdbc_fl, wdbc_model, wdbc_test, wdbc_logit_range) =
        federated_stage(FlDataset::Wdbc, &wdbc, Partition::Iid, config, &mut parties, &mut rng, progress)?;
    let (parkinsons_fl, ..) = federated_stage(
        FlDataset::Parkinsons,
        &parkinsons,
        Partition::BySubject,
        config,
        &mut parties,
        &mut rng,
        progress,
    )?;
    progress.end();
    timed(Stage::Federated, t);

    let t = Instant::now();
    progress.begin(Stage::Encrypted, 2 + config.single_patients() as u64);
    let encrypted = inference_stage(&wdbc_model, &wdbc_test, wdbc_logit_range, config, &mut rng, progress)?;
    progress.end();
    timed(Stage::Encrypted, t);

    let t = Instant::now();
    progress.begin(Stage::Optical, 1);
    let optical = optical_stage(&net, &mnist, config)?;
    progress.advance();
    progress.end();
    timed(Stage::Optical, t);

    Ok(DemoReport {
        seed: config.seed,
        quick: config.quick,
        keys,
        record,
        federated: vec![wdbc_fl, parkinsons_fl],
        encrypted,
        optical,
        stage_seconds,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Stage 1: one post-processed QKD link per hospital; post-quantum identities for every party.
fn key_stage(
    config: &DemoConfig,
    rng: &mut ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<(KeysReport, Parties)> {
    let system = Preset::Gys.system();
    let pulses = config.pulses();
    let defaults = EstimationConfig::default();
    let finite = Finite::new(
        system,
        FiniteConfig {
            n_x: 1e6,
            mu3: 0.0,
            eps_cor: defaults.eps_cor,
            security: Security::Fixed(defaults.eps_sec),
        },
    )?;
    let source = finite
        .optimal_source(DISTANCE_KM, pulses as f64)?
        .ok_or(DemoError::NoFiniteKey { distance_km: DISTANCE_KM, pulses })?;
    let link = LinkConfig::new(system, DISTANCE_KM, source, Protocol::Bb84)?;

    let mut links = Vec::with_capacity(HOSPITALS);
    let (mut hospital_keys, mut aggregator_keys) = (Vec::new(), Vec::new());
    for h in 1..=HOSPITALS as u64 {
        let outcome = run_link(LinkRun {
            link: link.clone(),
            pulses,
            seed: config.seed.wrapping_mul(0x9e37_79b9).wrapping_add(h),
            eve: None,
            engine: Engine::Auto,
            sample_fraction: 0.02,
            estimation: EstimationConfig { ec_efficiency: system.ec_efficiency, ..defaults },
            post: Some(PostConfig::default()),
            channel: None,
        })?;
        let r = &outcome.report;
        if r.aborted || r.final_key_bits == 0 {
            let reason = r.abort_reason.clone().unwrap_or_else(|| "empty key".to_owned());
            return Err(DemoError::NoKey { hospital: h, reason });
        }
        if !r.keys_equal {
            return Err(DemoError::KeysDiffer { hospital: h });
        }
        let hospital_store = KeyStore::new(h, &outcome.alice_secret);
        let aggregator_store = KeyStore::new(h, &outcome.bob_secret);
        let ec = r.ec.as_ref();
        links.push(LinkRow {
            hospital: h,
            mu: link.source().intensities()[0].mean,
            qber: r.qber.unwrap_or(f64::NAN),
            y1_lower: r.estimates.y1_lower.unwrap_or(f64::NAN),
            e1_upper: r.estimates.e1_upper.unwrap_or(f64::NAN),
            raw_key_bits: r.raw_key_bits,
            cascade_efficiency: ec.map_or(f64::NAN, |e| e.efficiency),
            leaked_bits: ec.map_or(0, |e| e.leaked_bits),
            final_key_bits: r.final_key_bits,
            net_key_bits: r.net_key_bits,
            keys_equal: r.keys_equal,
            secret_key_rate_per_pulse: r.secret_key_rate_per_pulse,
            secret_bits_per_second: r.secret_bits_per_second,
            keys_256: hospital_store.len(),
            seconds: r.elapsed_s,
        });
        hospital_keys.push(hospital_store);
        aggregator_keys.push(aggregator_store);
        progress.advance();
    }

    let aggregator_dk = DecapsulationKey::<MlKem768>::generate(rng);
    let mut aggregator = Receiver::new(AGGREGATOR, &aggregator_dk)?;
    let to_aggregator = Recipient::new(AGGREGATOR, aggregator_dk.encapsulation_key())?;
    let hospitals: Vec<Sender> =
        (1..=HOSPITALS as u64).map(|h| Sender::new(PartyId(h), SigningKey::generate(rng))).collect();
    for s in &hospitals {
        aggregator.trust(s.id(), s.verifying_key());
    }
    let parties = Parties { hospitals, aggregator, to_aggregator, hospital_keys, aggregator_keys };
    Ok((KeysReport { distance_km: DISTANCE_KM, pulses, links }, parties))
}

/// A patient record as a hospital sends it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct PatientRecord {
    dataset: String,
    index: u32,
    features: Vec<f64>,
}

/// Stage 2: hospital 1 sends one WDBC test record; a tampered and a replayed copy are refused.
fn record_stage(
    wdbc: &TrainTest,
    parties: &mut Parties,
    rng: &mut ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<RecordReport> {
    let index = 0;
    let record = PatientRecord {
        dataset: "wdbc".into(),
        index: 0,
        features: wdbc.test.features().row(index).to_vec(),
    };
    let plaintext = Zeroizing::new(
        postcard::to_allocvec(&record).map_err(|_| DemoError::Encoding { what: "patient record" })?,
    );
    let route = Route { session: SessionId::random(rng), round: 0, sequence: 0 };
    let t = Instant::now();
    let (sealed, key_id) = parties.seal(0, route, &plaintext, rng)?;
    let seal_ms = ms(t);
    progress.advance();

    // The tampered copy arrives first: one bit flipped in the middle of the message.
    let mut tampered = sealed.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x10;
    let tampered = parties.open(0, &tampered).err();
    progress.advance();

    let t = Instant::now();
    let opened = parties.open(0, &sealed)?;
    let open_ms = ms(t);
    let received: PatientRecord =
        postcard::from_bytes(&opened).map_err(|_| DemoError::Encoding { what: "patient record" })?;
    let replayed = parties.open(0, &sealed).err();
    progress.advance();

    let reason = |e: &Option<quantumacy_pqc::Error>| e.as_ref().map_or_else(String::new, ToString::to_string);
    Ok(RecordReport {
        record: index,
        plaintext_bytes: plaintext.len(),
        sealed_bytes: sealed.len(),
        qkd_key_id: key_id.to_string(),
        seal_ms,
        open_ms,
        delivered_intact: received == record,
        tampered_rejected: tampered.is_some(),
        tampered_reason: reason(&tampered),
        replay_rejected: replayed.is_some(),
        replay_reason: reason(&replayed),
        peer_sees: tampered
            .as_ref()
            .or(replayed.as_ref())
            .map_or_else(String::new, |e| e.for_peer().to_string()),
    })
}

/// Stage 3: federated logistic regression, every update sealed under a fresh QKD key. Returns the report, the
/// final global parameters `[w; b]`, the standardized test set and the largest |logit| of the final model on
/// any hospital's training rows (each hospital reports one number: the range the encrypted sigmoid must cover).
fn federated_stage(
    dataset: FlDataset,
    data: &TrainTest,
    partition: Partition,
    config: &DemoConfig,
    parties: &mut Parties,
    rng: &mut ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<(FederatedReport, Vec<f64>, Dataset, f64)> {
    let prepared = prepare(data, partition, HOSPITALS, SPLIT_SEED)?;
    let test = prepared.test.clone();
    let hospitals = prepared.hospitals.clone();
    let hospital_sizes = prepared.hospitals.iter().map(quantumacy_data::Dataset::len).collect();
    let test_examples = prepared.test.len();
    let model = Model::for_data(data.train.n_features(), data.train.n_classes())?;
    let fl_config =
        FederatedConfig { rounds: config.rounds(), seed: config.seed, ..FederatedConfig::default() };
    let mut fed = Federation::new(model, prepared.hospitals, prepared.test, fl_config)?;
    let session = SessionId::random(rng);

    let (mut sealed_updates, mut sealed_bytes, mut crypto_ms) = (0usize, 0usize, 0.0);
    let mut rounds = Vec::with_capacity(config.rounds());
    let mut last: Option<RoundReport> = None;
    for round in 1..=config.rounds() {
        let report = fed.run_round_over(|client, delta| -> Result<Vec<f64>> {
            let h = client.0 as usize;
            let t = Instant::now();
            let bytes = Zeroizing::new(
                postcard::to_allocvec(&delta).map_err(|_| DemoError::Encoding { what: "model update" })?,
            );
            let route = Route { session, round: round as u64, sequence: 0 };
            let (sealed, _) = parties.seal(h, route, &bytes, rng)?;
            let opened = parties.open(h, &sealed)?;
            let received: Vec<f64> =
                postcard::from_bytes(&opened).map_err(|_| DemoError::Encoding { what: "model update" })?;
            crypto_ms += ms(t);
            sealed_updates += 1;
            sealed_bytes += sealed.len();
            Ok(received)
        })?;
        rounds.push(FlRound {
            round: report.round,
            test_accuracy: report.test.accuracy,
            test_loss: report.test.log_loss,
            clients: report.aggregated.len(),
            rejected: report.rejected.iter().map(|r| r.reason.clone()).collect(),
            elapsed_ms: report.elapsed.as_secs_f64() * 1e3,
        });
        last = Some(report);
        progress.advance();
    }
    let last = last.ok_or(DemoError::Encoding { what: "federated rounds" })?;
    let report = FederatedReport {
        dataset,
        partition: partition.to_string(),
        hospital_sizes,
        test_examples,
        rounds,
        final_test_accuracy: last.test.accuracy,
        final_test_auc: last.test.auc,
        sealed_updates,
        mean_sealed_bytes: sealed_bytes as f64 / sealed_updates.max(1) as f64,
        seal_open_ms_per_update: crypto_ms / sealed_updates.max(1) as f64,
    };
    let theta = fed.global().to_vec();
    let d = data.train.n_features();
    let logit =
        |x: ndarray::ArrayView1<'_, f64>| x.iter().zip(&theta).map(|(a, w)| a * w).sum::<f64>() + theta[d];
    let max_logit = hospitals
        .iter()
        .flat_map(|h| h.features().rows().into_iter().map(logit).collect::<Vec<_>>())
        .fold(0.0f64, |m, y| m.max(y.abs()));
    Ok((report, theta, test, max_logit))
}

/// Stage 4: the federated WDBC model scores CKKS-encrypted test patients. The hospital holds the keys and
/// encrypts; the aggregator evaluates on ciphertexts with the model in the clear — the sigmoid as the
/// least-squares cubic on `[−R, R]`, `R` the training logits' range rounded up — and the hospital decrypts.
fn inference_stage(
    theta: &[f64],
    test: &Dataset,
    logit_range: f64,
    config: &DemoConfig,
    rng: &mut ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<InferenceReport> {
    let d = test.n_features();
    let radius = logit_range.ceil().clamp(5.0, 64.0);
    let sigmoid = sigmoid3_fit(radius)?;
    let lr = LogisticModel::new(theta[..d].to_vec(), theta[d])?.with_sigmoid(sigmoid)?;
    let patients: Vec<Vec<f64>> = (0..test.len()).map(|i| test.features().row(i).to_vec()).collect();
    let labels = test.labels();
    let logits: Vec<f64> = patients.iter().map(|x| lr.logit(x)).collect();
    let poly: Vec<f64> = logits.iter().map(|&y| lr.probability_of_logit(y)).collect();
    // Beyond ±√(a/|b|) the cubic's p − ½ changes sign again.
    let sign_range = (sigmoid[1] / -sigmoid[3]).sqrt();
    let accuracy = |predicted: &mut dyn Iterator<Item = bool>| {
        predicted.zip(labels).filter(|(p, l)| u8::from(*p) == **l).count() as f64 / labels.len() as f64
    };

    // The hospital makes the keys and sends the evaluation keys; the aggregator decodes them under a size limit
    // against the parameters it expects.
    let params = Parameters::preset(CkksPreset::N8192Depth3)?;
    let t = Instant::now();
    let sk = SecretKey::generate(&params, rng);
    let pk = sk.public_key(rng);
    let rlk = sk.relinearization_key(rng);
    let gk = sk.galois_keys(&lr.rotation_steps(), false, rng);
    let keygen_ms = ms(t);
    let (rlk_bytes, gk_bytes) = (rlk.to_bytes(&params)?, gk.to_bytes(&params)?);
    let server_rlk = RelinearizationKey::from_bytes(&rlk_bytes, &params, KEY_LIMIT)?;
    let server_gk = GaloisKeys::from_bytes(&gk_bytes, &params, KEY_LIMIT)?;
    let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
    progress.advance();

    // Batched: column j holds feature j of every patient, encrypted with the secret key (seeded: half size).
    let t = Instant::now();
    let mut column = vec![0.0; patients.len()];
    let mut upload = Vec::with_capacity(d);
    for j in 0..d {
        for (c, x) in column.iter_mut().zip(&patients) {
            *c = x[j];
        }
        let pt = enc.encode_real(&params, &column, params.scale(), params.max_level())?;
        upload.push(sk.encrypt(&pt, rng)?.to_bytes(&params)?);
    }
    let batch_encrypt_ms = ms(t);
    let t = Instant::now();
    let columns: Vec<Ciphertext> = upload
        .iter()
        .map(|bytes| Ciphertext::from_bytes(bytes, &params, CIPHERTEXT_LIMIT))
        .collect::<Result<_, _>>()?;
    let batch_decode_ms = ms(t);
    let t = Instant::now();
    let result = lr.eval_batch(&eval, &columns, &server_rlk)?;
    let batch_eval_ms = ms(t);
    let reply = result.to_bytes(&params)?;
    let t = Instant::now();
    let scored = Ciphertext::from_bytes(&reply, &params, CIPHERTEXT_LIMIT)?;
    let probabilities = enc.decode_real(&params, &sk.decrypt(&scored)?)?;
    let batch_decrypt_ms = ms(t);
    let encrypted = &probabilities[..patients.len()];
    progress.advance();

    // Single vector: one patient per public-key ciphertext, rotate-and-sum on the aggregator.
    let single = config.single_patients().min(patients.len());
    let (mut single_ms, mut max_abs_dp_single, mut single_upload_bytes) =
        (Vec::with_capacity(single), 0.0f64, 0);
    for (x, p) in patients.iter().zip(&poly).take(single) {
        let t = Instant::now();
        let sent = lr.encrypt_single(&params, &enc, &pk, x, rng)?.to_bytes(&params)?;
        let ct = Ciphertext::from_bytes(&sent, &params, CIPHERTEXT_LIMIT)?;
        let reply = lr.eval_single(&eval, &enc, &ct, &server_rlk, &server_gk)?.to_bytes(&params)?;
        let scored = Ciphertext::from_bytes(&reply, &params, CIPHERTEXT_LIMIT)?;
        let got = enc.decode_real(&params, &sk.decrypt(&scored)?)?[0];
        single_ms.push(ms(t));
        single_upload_bytes = sent.len();
        max_abs_dp_single = max_abs_dp_single.max((got - p).abs());
        progress.advance();
    }
    single_ms.sort_by(f64::total_cmp);

    let n = patients.len() as f64;
    Ok(InferenceReport {
        ckks_preset: "N8192Depth3",
        features: d,
        patients: patients.len(),
        plaintext_accuracy: accuracy(&mut logits.iter().map(|&y| y > 0.0)),
        plaintext_poly_accuracy: accuracy(&mut poly.iter().map(|&p| p > 0.5)),
        encrypted_accuracy: accuracy(&mut encrypted.iter().map(|&p| p > 0.5)),
        max_abs_dp_batched: encrypted.iter().zip(&poly).map(|(e, p)| (e - p).abs()).fold(0.0, f64::max),
        max_abs_dp_single,
        labels_identical: encrypted.iter().zip(&poly).all(|(e, p)| (*e > 0.5) == (*p > 0.5)),
        labels_as_exact_sigmoid: encrypted
            .iter()
            .zip(&logits)
            .filter(|(e, y)| (**e > 0.5) == (**y > 0.0))
            .count(),
        sigmoid_radius: radius,
        sigmoid,
        logits_outside_cubic_range: logits.iter().filter(|y| y.abs() > sign_range).count(),
        keygen_ms,
        evaluation_key_bytes: rlk_bytes.len() + gk_bytes.len(),
        batch_upload_bytes: upload.iter().map(Vec::len).sum(),
        batch_result_bytes: reply.len(),
        single_upload_bytes,
        batch_encrypt_ms,
        batch_eval_ms_per_patient: batch_eval_ms / n,
        batch_decode_ms,
        batch_e2e_ms_per_patient: (batch_encrypt_ms + batch_decode_ms + batch_eval_ms + batch_decrypt_ms) / n,
        single_patients: single,
        single_e2e_ms: single_ms.get(single_ms.len() / 2).copied().unwrap_or(f64::NAN),
    })
}

/// Stage 5: MNIST test images through the simulated optical engine at the leakage-budget operating point
/// (Sulimany et al., PRX 15, 041056 (2025): > 96 % with < 0.1 bit per weight and < 0.01 bit per data symbol).
fn optical_stage(net: &Network, test: &ImageSet, config: &DemoConfig) -> Result<OpticalReport> {
    let point = operating_point(&Budget::default())?;
    let inputs = mnist_inputs(test.images())?;
    let n = config.images().min(inputs.nrows());
    let inputs = inputs.slice_axis(ndarray::Axis(0), ndarray::Slice::from(..n));
    let labels = &test.labels()[..n];
    let engine = GaussianEngine::new(point.snr)?;
    let t = Instant::now();
    let accuracy = net.accuracy(&engine, inputs, labels, config.seed)?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(OpticalReport {
        images: n,
        mu: point.mu,
        gain: point.gain,
        snr: point.snr,
        accuracy,
        noise_free_accuracy: net.accuracy_clean(inputs, labels)?,
        weight_leakage_bits: point.weight_leakage_bits,
        data_leakage_bits: point.data_leakage_bits,
        images_per_second: n as f64 / seconds,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn bits(n: usize) -> BitVec {
        let mut v = BitVec::new();
        for i in 0..n {
            v.push((i * 7 + i / 3) % 5 < 2);
        }
        v
    }

    #[test]
    fn key_stores_hand_out_each_key_once_and_agree_on_ids() {
        let secret = bits(3 * 256 + 100);
        let (mut sender, mut receiver) = (KeyStore::new(2, &secret), KeyStore::new(2, &secret));
        assert_eq!(sender.len(), 3);
        let first = sender.next().unwrap();
        let same = receiver.take(first.id()).unwrap();
        assert_eq!(first, same);
        assert_eq!(first.expose_secret()[..], secret.to_bytes()[..32]);
        // Once only, at either end.
        assert!(receiver.take(first.id()).is_none());
        let second = sender.next().unwrap();
        assert_ne!(first.id(), second.id());
        assert_ne!(first.expose_secret(), second.expose_secret());
        sender.next().unwrap();
        assert!(matches!(sender.next(), Err(DemoError::KeysExhausted { hospital: 2, used: 3 })));
        // Another link's IDs never collide with this one's.
        let other = KeyStore::new(3, &secret);
        assert!(other.order.iter().all(|id| !receiver.keys.contains_key(id)));
    }
}
