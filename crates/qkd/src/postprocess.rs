//! The classical session end to end, as the two parties run it over an authenticated channel: sifting,
//! estimation, Cascade reconciliation, the key-length decision, Toeplitz privacy amplification and the
//! replenishment of the authentication key pool.
//!
//! Every message crosses a [`ClassicalChannel`] as bytes (postcard): the in-process [`Honest`] channel delivers
//! them unchanged; tests implement the trait to tamper with, replay or reorder messages. Authentication
//! ([`crate::protocol::authenticate`], Wegman–Carter with POLYVAL and one-time pads from a [`KeyPool`]):
//!
//! * sifting messages (detection report, sift reply, disclosure, decision) and the privacy-amplification
//!   announcement carry a tag each;
//! * Cascade's many short messages are authenticated together ("delayed authentication", Kiktenko et al.,
//!   "Lightweight authentication for quantum key distribution", IEEE TIT 66, 6354 (2020)): each party records the
//!   transcript as it saw it — every message it sent and every message it received, frame by frame — and before
//!   any key is used Bob sends a tag over his transcript and Alice one over hers; each verifies the other's tag
//!   against its own record. A message altered in transit makes the records differ, so the session aborts
//!   before a key exists; the pad bits cost two tags instead of one per message.
//!
//! Any failure of authentication aborts the session with [`AbortReason::AuthenticationFailed`] (opaque: no
//! detail of which check failed). The key pool is then replenished from the new key by exactly the bits the
//! session consumed, so a session is worth doing only if its key exceeds them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::bits::BitVec;
use crate::error::{AbortReason, Error, Result};
use crate::protocol::amplify::ToeplitzHash;
use crate::protocol::authenticate::{AuthChannel, KeyPool, Role, Tagged};
use crate::protocol::reconcile::{
    AliceCascade, AliceMessage, BobCascade, BobMessage, BobStep, ReconcileConfig, Variant, binary_entropy,
    collision_bound,
};
use crate::protocol::{
    Alice, Bob, DetectionReport, Disclosure, Estimates, EstimationConfig, KeyLength, Leakage, SiftReply,
};

/// Where a message is in the session (what a [`ClassicalChannel`] sees besides the bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Detection report, sift reply, disclosure, decision.
    Sifting,
    /// Cascade messages of one frame (`frame`, `step`).
    Reconciliation,
    /// The two transcript tags of the delayed authentication.
    TranscriptTag,
    /// The privacy-amplification announcement.
    Amplification,
}

/// Identifies one message in transit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MessageId {
    /// The phase.
    pub phase: Phase,
    /// Who sends it.
    pub from: Role,
    /// Cascade frame (0 outside reconciliation).
    pub frame: u32,
    /// Index of the message within its phase (and frame), per sender.
    pub step: u32,
}

/// The classical channel between Alice and Bob. It may change the bytes in transit; it never sees keys.
/// Called from several threads at once (Cascade frames run in parallel).
pub trait ClassicalChannel: Sync + std::fmt::Debug {
    /// Delivers `message` from `id.from` to the other party, possibly altered.
    fn carry(&self, id: MessageId, message: &mut Vec<u8>);
}

/// The in-process channel: delivers every message unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct Honest;

impl ClassicalChannel for Honest {
    fn carry(&self, _id: MessageId, _message: &mut Vec<u8>) {}
}

/// Settings of the post-processing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PostConfig {
    /// Cascade variant.
    pub variant: Variant,
    /// Target Cascade frame length in bits.
    pub frame_bits: usize,
    /// Size of the pre-shared authentication key pool in bits (a multiple of 128 is used).
    pub preshared_auth_bits: u64,
}

impl Default for PostConfig {
    fn default() -> Self {
        PostConfig { variant: Variant::Best, frame_bits: 1 << 16, preshared_auth_bits: 1 << 14 }
    }
}

/// Alice → Bob after estimation: go on or abort, and the error rate Cascade sizes its blocks with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Decision {
    proceed: bool,
    qber_estimate: f64,
}

/// Alice → Bob: the privacy-amplification hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Amplification {
    /// Output length ℓ.
    output_bits: u64,
    /// The Toeplitz seed, n + ℓ − 1 bits, LSB-first.
    seed: Vec<u8>,
}

/// Error-correction figures (the report's `ec`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EcReport {
    /// Cascade variant.
    pub variant: Variant,
    /// Every disclosed bit: parities plus verification tags.
    pub leaked_bits: u64,
    /// Parities disclosed.
    pub parity_bits: u64,
    /// Verification-tag bits (128 per frame).
    pub hash_bits: u64,
    /// f = parities / (n·h(Q)) with Q the actual error rate of the raw keys.
    pub efficiency: f64,
    /// Round trips of the longest frame (frames run concurrently).
    pub channel_uses: u32,
    /// Frames run.
    pub frames: usize,
    /// Frames that failed verification (discarded from both keys).
    pub frame_errors: usize,
    /// Errors in the raw keys (known to the simulation only).
    pub errors_initial: u64,
    /// Bits Bob flipped.
    pub errors_corrected: u64,
}

/// Privacy-amplification figures (the report's `pa`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaReport {
    /// Reconciled bits hashed (n).
    pub input_bits: u64,
    /// Secret bits out (ℓ).
    pub output_bits: u64,
}

/// Authentication figures (the report's `auth`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthReport {
    /// Pool bits the session consumed (hash key + one pad per tag).
    pub key_bits_consumed: u64,
    /// Bits returned to the pool from the new key.
    pub key_bits_replenished: u64,
    /// Tags sent (both directions).
    pub tags: u64,
    /// Bytes of Cascade transcript covered by the two transcript tags.
    pub transcript_bytes: u64,
}

/// One classical session: everything after transmission.
#[derive(Debug, Clone, Copy)]
pub struct Session<'c> {
    /// Estimation and key-length settings.
    pub estimation: EstimationConfig,
    /// Fraction of key-basis bits disclosed for testing.
    pub sample_fraction: f64,
    /// Seed of the session's random choices (test sample, shuffles, hash keys, PA seed) and of the simulated
    /// pre-shared authentication key.
    pub seed: u64,
    /// Reconciliation, amplification and authentication settings; `None` stops after estimation.
    pub post: Option<PostConfig>,
    /// The classical channel.
    pub channel: &'c dyn ClassicalChannel,
}

/// A session's result before the link adds its own figures.
#[derive(Debug)]
pub struct SessionRun {
    /// Alice's estimates (absent if authentication failed before they were made).
    pub estimates: Option<Estimates>,
    /// Raw keys (Alice's, Bob's), empty if sifting did not complete.
    pub raw: (BitVec, BitVec),
    /// Post-processing (absent when `post` is `None`).
    pub post: Option<SessionOutcomeKeys>,
    /// Why the session stopped early (estimation abort, authentication failure, no key).
    pub abort: Option<AbortReason>,
    /// Authentication figures.
    pub auth: AuthReport,
}

/// Keys and figures of the post-processing.
#[derive(Debug)]
pub struct SessionOutcomeKeys {
    /// Error correction, if it ran.
    pub ec: Option<EcReport>,
    /// Key length, if decided.
    pub key_length: Option<KeyLength>,
    /// Privacy amplification, if it ran.
    pub pa: Option<PaReport>,
    /// Final keys, net of the pool repayment (empty if aborted).
    pub alice_key: BitVec,
    /// Bob's.
    pub bob_key: BitVec,
    /// Final key bits before repaying the pool.
    pub final_key_bits: u64,
    /// Whether the final keys are equal (constant-time comparison).
    pub keys_equal: bool,
}

const PA_SEED_DOMAIN: u64 = 0x7061_2d73_6565_6421;
const PRESHARED_DOMAIN: u64 = 0x7072_652d_7368_6172;
const DISCLOSE_DOMAIN: u64 = 0x5eed_d15c_1050_0e00;

impl Session<'_> {
    /// Runs the classical protocol between `alice` and `bob` (fresh from transmission).
    ///
    /// # Errors
    /// Configuration errors ([`Error::InvalidParameter`], [`Error::Unsupported`]) and internal failures. An
    /// attack — failed authentication, a QBER above threshold, no positive key — is not an error: the run
    /// reports `abort`.
    pub fn run(&self, mut alice: Alice, mut bob: Bob) -> Result<SessionRun> {
        let post = self.post.unwrap_or_default();
        let preshared = preshared_secret(self.seed, post.preshared_auth_bits);
        let (mut alice_pool, mut bob_pool) = (KeyPool::new(preshared.clone()), KeyPool::new(preshared));
        let mut ach = AuthChannel::new(&mut alice_pool, self.seed, Role::Alice)?;
        let mut bch = AuthChannel::new(&mut bob_pool, self.seed, Role::Bob)?;
        let mut out = SessionRun {
            estimates: None,
            raw: (BitVec::new(), BitVec::new()),
            post: None,
            abort: None,
            auth: AuthReport { key_bits_consumed: 0, key_bits_replenished: 0, tags: 0, transcript_bytes: 0 },
        };
        let result = self.exchange(&mut alice, &mut bob, &mut ach, &mut bch, &mut out);
        let consumed = ach.key_bits_consumed();
        out.auth.key_bits_consumed = consumed;
        out.auth.tags = ach.messages().0 + bch.messages().0;
        drop((ach, bch));
        match result {
            Ok(()) => {}
            Err(Error::Authentication) => out.abort = Some(AbortReason::AuthenticationFailed),
            Err(Error::Aborted(reason)) => out.abort = Some(reason),
            Err(e) => return Err(e),
        }
        if out.abort.is_some() {
            if let Some(p) = out.post.as_mut() {
                p.alice_key = BitVec::new();
                p.bob_key = BitVec::new();
                p.keys_equal = false;
            }
            return Ok(out);
        }
        // Repay the pool from the new key: the first ⌈consumed/8⌉ bytes go back, the rest is the net key.
        if let Some(p) = out.post.as_mut() {
            let repay = consumed.div_ceil(8) * 8;
            if p.final_key_bits < repay {
                out.abort = Some(AbortReason::NoPositiveKeyLength {
                    detail: format!(
                        "{} final bits do not repay the {consumed} authentication bits consumed",
                        p.final_key_bits
                    ),
                });
                p.alice_key = BitVec::new();
                p.bob_key = BitVec::new();
                return Ok(out);
            }
            let bytes = (repay / 8) as usize;
            alice_pool.replenish(&p.alice_key.to_bytes()[..bytes]);
            bob_pool.replenish(&p.bob_key.to_bytes()[..bytes]);
            out.auth.key_bits_replenished = repay;
            let len = p.alice_key.len();
            p.alice_key = p.alice_key.slice(repay as usize, len).unwrap_or_default();
            p.bob_key = p.bob_key.slice(repay as usize, len).unwrap_or_default();
        }
        Ok(out)
    }

    fn exchange(
        &self,
        alice: &mut Alice,
        bob: &mut Bob,
        ach: &mut AuthChannel<'_>,
        bch: &mut AuthChannel<'_>,
        out: &mut SessionRun,
    ) -> Result<()> {
        let sifting = |from, step| MessageId { phase: Phase::Sifting, from, frame: 0, step };
        let report = bob.detection_report();
        let report: DetectionReport = self.send(bch, ach, sifting(Role::Bob, 0), &report)?;
        let reply = alice.sift(&report)?;
        let reply: SiftReply = self.send(ach, bch, sifting(Role::Alice, 0), &reply)?;
        bob.apply_sift(&reply)?;
        let disclosure = bob.disclose(self.sample_fraction, self.seed ^ DISCLOSE_DOMAIN)?;
        let disclosure: Disclosure = self.send(bch, ach, sifting(Role::Bob, 1), &disclosure)?;
        let estimates = alice.estimate(&disclosure, &self.estimation)?;
        out.raw = (alice.raw_key(&disclosure)?, bob.raw_key()?);
        let decision = Decision { proceed: estimates.abort.is_none(), qber_estimate: key_qber(&estimates) };
        let abort = estimates.abort.clone();
        out.estimates = Some(estimates);
        let decision: Decision = self.send(ach, bch, sifting(Role::Alice, 1), &decision)?;
        if let Some(reason) = abort {
            return Err(Error::Aborted(reason));
        }
        let Some(post) = self.post else { return Ok(()) };
        if !decision.proceed {
            return Err(Error::Authentication);
        }
        let keys = out.post.insert(SessionOutcomeKeys {
            ec: None,
            key_length: None,
            pa: None,
            alice_key: BitVec::new(),
            bob_key: BitVec::new(),
            final_key_bits: 0,
            keys_equal: false,
        });

        // Cascade, frames in parallel, transcripts recorded by each party.
        let (alice_raw, bob_raw) = (&out.raw.0, &out.raw.1);
        if alice_raw.is_empty() {
            return Err(Error::Aborted(AbortReason::InsufficientStatistics {
                detail: "no raw key bits left after testing".into(),
            }));
        }
        let rec = self.reconcile(alice_raw, bob_raw, decision.qber_estimate, post)?;
        out.auth.transcript_bytes = (rec.bob_view.len() + rec.alice_view.len()) as u64;
        let tag_id = |from| MessageId { phase: Phase::TranscriptTag, from, frame: 0, step: 0 };
        self.send_transcript_tag(bch, ach, tag_id(Role::Bob), &rec.bob_view, &rec.alice_view)?;
        self.send_transcript_tag(ach, bch, tag_id(Role::Alice), &rec.alice_view, &rec.bob_view)?;
        keys.ec = Some(rec.report.clone());

        // Key length (Alice decides), with the discarded frames' bits charged in full.
        let leakage = Leakage { ec_bits: rec.report.parity_bits, verification_bits: rec.report.hash_bits };
        let estimates = out
            .estimates
            .as_ref()
            .ok_or_else(|| Error::Protocol { detail: "key length before estimation".into() })?;
        let kl = alice.key_length(&disclosure, estimates, leakage, &self.estimation)?;
        let keys = out.post.as_mut().ok_or_else(|| Error::Protocol { detail: "session state".into() })?;
        let discarded = (out.raw.0.len() - rec.alice.len()) as u64;
        let ell = kl.secret_bits.saturating_sub(discarded);
        keys.key_length = Some(kl);
        if ell == 0 {
            return Err(Error::Aborted(AbortReason::NoPositiveKeyLength {
                detail: format!("{discarded} bits of discarded frames exceed the key length"),
            }));
        }

        // Privacy amplification: Alice draws the seed and announces it.
        let n = rec.alice.len();
        let m = ell as usize;
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed ^ PA_SEED_DOMAIN);
        let mut seed = vec![0u8; (n + m - 1).div_ceil(8)];
        rng.fill_bytes(&mut seed);
        let announce = Amplification { output_bits: ell, seed };
        let pa_id = MessageId { phase: Phase::Amplification, from: Role::Alice, frame: 0, step: 0 };
        let received: Amplification = self.send(ach, bch, pa_id, &announce)?;
        let alice_final = toeplitz(&announce, &rec.alice)?;
        let bob_final = toeplitz(&received, &rec.bob)?;
        keys.keys_equal = bool::from(alice_final.to_bytes().ct_eq(&bob_final.to_bytes()))
            && alice_final.len() == bob_final.len();
        keys.final_key_bits = alice_final.len() as u64;
        keys.pa = Some(PaReport { input_bits: n as u64, output_bits: ell });
        keys.alice_key = alice_final;
        keys.bob_key = bob_final;
        Ok(())
    }

    /// Serializes, tags, carries, verifies and deserializes one message; returns what the receiver got.
    fn send<T: Serialize + DeserializeOwned>(
        &self,
        from: &mut AuthChannel<'_>,
        to: &mut AuthChannel<'_>,
        id: MessageId,
        message: &T,
    ) -> Result<T> {
        let payload = encode(message)?;
        let tagged = from.seal(payload)?;
        let mut wire = encode(&tagged)?;
        self.channel.carry(id, &mut wire);
        // A mangled envelope is an authentication failure like any other (opaque).
        let tagged: Tagged = postcard::from_bytes(&wire).map_err(|_| Error::Authentication)?;
        let payload = to.open(&tagged)?;
        postcard::from_bytes(&payload)
            .map_err(|e| Error::Protocol { detail: format!("authenticated message does not decode: {e}") })
    }

    /// Delayed authentication: `from` tags its transcript; `to` verifies the tag against its own record.
    fn send_transcript_tag(
        &self,
        from: &mut AuthChannel<'_>,
        to: &mut AuthChannel<'_>,
        id: MessageId,
        sender_view: &[u8],
        receiver_view: &[u8],
    ) -> Result<()> {
        let sealed = from.seal(sender_view.to_vec())?;
        let mut wire = sealed.tag.to_vec();
        self.channel.carry(id, &mut wire);
        let tag: [u8; 16] = wire.as_slice().try_into().map_err(|_| Error::Authentication)?;
        to.open(&Tagged { seq: sealed.seq, payload: receiver_view.to_vec(), tag })?;
        Ok(())
    }

    /// Cascade over frames of about `frame_bits`, in parallel; every message crosses the channel as bytes.
    fn reconcile(&self, alice: &BitVec, bob: &BitVec, qber: f64, post: PostConfig) -> Result<Reconciliation> {
        let config = ReconcileConfig { frame_bits: post.frame_bits, ..ReconcileConfig::default() };
        if config.frame_bits == 0 {
            return Err(Error::InvalidParameter { name: "frame_bits", value: 0.0, expected: "at least 1" });
        }
        let n = alice.len();
        let frames = n.div_ceil(config.frame_bits).max(1);
        let bounds: Vec<(usize, usize)> =
            (0..frames).map(|i| (i * n / frames, (i + 1) * n / frames)).collect();
        let longest = bounds.iter().map(|(a, b)| b - a).max().unwrap_or(n);
        if collision_bound(longest) > self.estimation.eps_cor {
            return Err(Error::Unsupported {
                detail: format!("frames of {longest} bits: the verification hash cannot reach ε_cor"),
            });
        }
        let results: Vec<Result<FrameRun>> = bounds
            .par_iter()
            .enumerate()
            .map(|(i, &(lo, hi))| self.frame(i, alice, bob, lo, hi, qber, post.variant))
            .collect();
        let mut rec = Reconciliation {
            alice: BitVec::with_capacity(n),
            bob: BitVec::with_capacity(n),
            alice_view: Vec::new(),
            bob_view: Vec::new(),
            report: EcReport {
                variant: post.variant,
                leaked_bits: 0,
                parity_bits: 0,
                hash_bits: 0,
                efficiency: 0.0,
                channel_uses: 0,
                frames,
                frame_errors: 0,
                errors_initial: alice.hamming_distance(bob) as u64,
                errors_corrected: 0,
            },
        };
        for r in results {
            let f = r?;
            let e = &mut rec.report;
            e.parity_bits += f.parity_bits;
            e.hash_bits += f.hash_bits;
            e.channel_uses = e.channel_uses.max(f.channel_uses);
            e.errors_corrected += f.errors_corrected;
            rec.alice_view.extend_from_slice(&f.alice_view);
            rec.bob_view.extend_from_slice(&f.bob_view);
            if f.verified {
                rec.alice.extend_from(&f.alice);
                rec.bob.extend_from(&f.bob);
            } else {
                e.frame_errors += 1;
            }
        }
        let e = &mut rec.report;
        e.leaked_bits = e.parity_bits + e.hash_bits;
        let q = if e.errors_initial > 0 { e.errors_initial as f64 / n as f64 } else { qber };
        e.efficiency = e.parity_bits as f64 / (n as f64 * binary_entropy(q));
        Ok(rec)
    }

    /// One Cascade frame through the channel.
    #[expect(clippy::too_many_arguments, reason = "one frame's coordinates, private")]
    fn frame(
        &self,
        index: usize,
        alice: &BitVec,
        bob: &BitVec,
        lo: usize,
        hi: usize,
        qber: f64,
        variant: Variant,
    ) -> Result<FrameRun> {
        let slice =
            |k: &BitVec| k.slice(lo, hi).ok_or_else(|| Error::Protocol { detail: "frame bounds".into() });
        let frame_seed = splitmix(self.seed ^ splitmix(index as u64 + 1));
        let mut rng = ChaCha20Rng::seed_from_u64(splitmix(frame_seed ^ 0x7665_7269_6679));
        let a = slice(alice)?;
        let mut alice_sm = AliceCascade::new(a.clone(), &mut rng)?;
        let mut bob_sm = BobCascade::new(slice(bob)?, qber, variant, frame_seed)?;
        let (mut alice_view, mut bob_view) = (Vec::new(), Vec::new());
        let frame = u32::try_from(index).unwrap_or(u32::MAX);
        let mut msg = bob_sm.start()?;
        for step in 0..1_000_000u32 {
            let id = |from| MessageId { phase: Phase::Reconciliation, from, frame, step };
            let mut wire = encode(&msg)?;
            record(&mut bob_view, &wire);
            self.channel.carry(id(Role::Bob), &mut wire);
            record(&mut alice_view, &wire);
            // Until the transcript tags are checked these messages are unauthenticated: anything a party
            // rejects was altered in transit, and aborts the session like a failed tag (opaque).
            let received: BobMessage = decode(&wire)?;
            let reply = alice_sm.respond(&received).map_err(|_| Error::Authentication)?;
            let mut wire = encode(&reply)?;
            record(&mut alice_view, &wire);
            self.channel.carry(id(Role::Alice), &mut wire);
            record(&mut bob_view, &wire);
            let reply: AliceMessage = decode(&wire)?;
            match bob_sm.receive(&reply).map_err(|_| Error::Authentication)? {
                BobStep::Send(next) => msg = next,
                BobStep::Done(o) => {
                    return Ok(FrameRun {
                        alice: a,
                        bob: o.key,
                        verified: o.verified,
                        parity_bits: o.parity_bits,
                        hash_bits: o.hash_bits,
                        channel_uses: o.channel_uses,
                        errors_corrected: o.errors_corrected,
                        alice_view,
                        bob_view,
                    });
                }
            }
        }
        Err(Error::Protocol { detail: "Cascade did not finish within 10^6 steps".into() })
    }
}

struct FrameRun {
    alice: BitVec,
    bob: BitVec,
    verified: bool,
    parity_bits: u64,
    hash_bits: u64,
    channel_uses: u32,
    errors_corrected: u64,
    alice_view: Vec<u8>,
    bob_view: Vec<u8>,
}

struct Reconciliation {
    alice: BitVec,
    bob: BitVec,
    alice_view: Vec<u8>,
    bob_view: Vec<u8>,
    report: EcReport,
}

/// Appends a length-prefixed message to a transcript (so message boundaries are part of what is authenticated).
fn record(view: &mut Vec<u8>, message: &[u8]) {
    view.extend_from_slice(&(message.len() as u64).to_le_bytes());
    view.extend_from_slice(message);
}

fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(message)
        .map_err(|e| Error::Protocol { detail: format!("message does not encode: {e}") })
}

/// Decodes an unauthenticated (not yet verified) Cascade message; garbage aborts the session.
fn decode<T: DeserializeOwned>(wire: &[u8]) -> Result<T> {
    postcard::from_bytes(wire).map_err(|_| Error::Authentication)
}

fn toeplitz(a: &Amplification, key: &BitVec) -> Result<BitVec> {
    let n = key.len();
    let m = usize::try_from(a.output_bits).map_err(|_| Error::Protocol { detail: "output length".into() })?;
    let seed = BitVec::from_bytes(&a.seed, n + m - 1)
        .ok_or_else(|| Error::Protocol { detail: "privacy-amplification seed too short".into() })?;
    ToeplitzHash::new(&seed, n, m)?.hash(key)
}

/// The error rate Cascade sizes its blocks with: errors over tested bits of the intensities whose key-basis bits
/// form the key (all of them under the finite-key protocol, else the signal), within (0, 0.5).
fn key_qber(estimates: &Estimates) -> f64 {
    let signal = estimates.signal();
    let (errors, tested) = estimates
        .per_intensity
        .iter()
        .filter(|s| s.mean > 0.0)
        .fold((0u64, 0u64), |(e, t), s| (e + s.errors, t + s.tested));
    let q = if tested > 0 { errors as f64 / tested as f64 } else { signal.qber.unwrap_or(0.05) };
    q.clamp(1e-4, 0.49)
}

/// The simulated pre-shared secret of `bits` bits (rounded up to 128) that both parties start with.
fn preshared_secret(seed: u64, bits: u64) -> Vec<u8> {
    let bytes = usize::try_from(bits.div_ceil(128) * 16).unwrap_or(1 << 20);
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ PRESHARED_DOMAIN);
    let mut v = vec![0u8; bytes];
    rng.fill_bytes(&mut v);
    v
}

/// SplitMix64 finaliser: decorrelates per-frame seeds.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
