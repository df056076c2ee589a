//! Information reconciliation by Cascade (Brassard & Salvail, Eurocrypt 1993), in the variants compared by
//! Martinez-Mateo, Pacher, Peev, Ciurana & Martin, "Demystifying the information reconciliation protocol
//! Cascade", QIC 15, 453 (2015), arXiv:1407.3257 (`../shared/science/qkd.md` §3).
//!
//! # Protocol
//! Two message-driven state machines, [`AliceCascade`] (holds only Alice's frame) and [`BobCascade`] (holds
//! only Bob's). Bob drives: his first message ([`BobMessage::Open`]) announces the frame length, variant,
//! error-rate estimate Q and a public shuffle seed; both derive the permutation of pass p from (seed, p). Pass
//! p cuts the shuffled frame into blocks of kₚ bits ([`Variant`] gives kₚ). Each step Bob sends *every*
//! parity request he can make at that point in one message and Alice answers one bit per request:
//! - the block parities of a new pass;
//! - for every block with an odd number of errors (Alice's and Bob's parities differ), the parity of the
//!   left half of its current interval (Binary, run on all odd blocks in parallel; the right half's parity
//!   is the interval's minus the left's, so it is never asked).
//!
//! When Binary isolates an error Bob flips it, and every block of every earlier pass that holds the bit
//! changes parity; the ones that become odd are searched in the next step (the cascade effect). Passes are
//! sequential: a pass starts when no block of any earlier pass is odd. When the variant's passes are done Bob
//! sends [`BobMessage::Finish`] and Alice answers with a verification hash (POLYVAL under a fresh random key,
//! see [`collision_bound`]); Bob compares in constant time. A frame whose hash differs is reported
//! `verified: false` and must be discarded; [`reconcile`] drops it from both keys.
//!
//! Leakage is every parity bit Alice sent plus the 128 tag bits; channel uses are round trips (Bob's messages
//! answered, the verification included). f = parity bits / (n·h(Q)) as in the paper (its definition has no
//! verification hash; [`Reconciled::efficiency_with_hash`] includes the tag).
//!
//! # Internals
//! Alice answers from per-pass packed prefix parities (O(1) per request). Bob keeps, per pass, the shuffle,
//! its inverse (position → block is `inv[x] / k`) and a Fenwick tree over XOR of his bits in shuffled order:
//! each parity he needs and each bit he flips costs O(log n) per pass, never a block rescan.
//!
//! # `best`
//! [`Variant::Best`] combines the optimisations the paper discusses for reducing disclosed bits (block sizes
//! as powers of two, reuse of what is already known, handling the cascade effect in a good order). I could
//! not check the paper's text here, so the section numbers are not cited; what `best` does, exactly:
//! 1. block sizes powers of two: k₁ = 2^⌊log₂(1.3/Q)⌋, k₂ = max(2k₁, 128), then kᵢ = ⌈n/2⌉ (k₂'s floor of
//!    128 and the factor 1.3 were chosen by measurement at n = 10⁴, Q = 1–8 %);
//! 2. sub-block reuse: every parity Alice disclosed (and every sibling parity it implies) is kept per pass;
//!    when the cascade effect sends Binary back into a block, it walks down through known parities and only
//!    asks for unknown ones (Binary always splits an interval at the same point, so the trees coincide);
//! 3. block-parity inference: from pass 2 on, the last block's parity is the frame parity (known from pass
//!    1) minus the others', so it is not asked; a pass of one block costs nothing;
//! 4. cascade-effect ordering: a search waits while its interval is more than [`BEST_DEFER_FACTOR`] times
//!    the smallest one in progress — after a correction the small blocks of early passes usually find the
//!    partner error, which makes the large blocks of later passes even again before they ask anything;
//! 5. the ⌈n/2⌉ passes continue until [`BEST_CLEAN_ROUNDS`] consecutive ones show no odd block (at most 128
//!    passes), as BICONF does with [`BICONF_CLEAN_ROUNDS`].
//!
//! For every variant pass 1 is unshuffled and later shuffles are deterministic functions of the public seed
//! (SplitMix64-driven Fisher–Yates).
//!
//! # Long keys
//! [`reconcile`] cuts a key into frames of about [`ReconcileConfig::frame_bits`] bits (equal sizes, none
//! shorter than half the target), runs them in parallel (rayon) with independent seeds, and drops the frames
//! that fail verification from both keys.

mod alice;
mod bob;
mod messages;
mod schedule;
mod verify;

pub use alice::AliceCascade;
pub use bob::{BobCascade, BobOutcome, BobStep};
pub use messages::{AliceMessage, BobMessage, ParityQuery, SessionParams};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
pub use schedule::{BEST_CLEAN_ROUNDS, BEST_DEFER_FACTOR, BICONF_CLEAN_ROUNDS, Variant};
pub use verify::collision_bound;

use crate::{BitVec, Error, Result};

/// Settings of [`reconcile_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileConfig {
    /// Target frame length in bits (default 65 536).
    pub frame_bits: usize,
    /// Correctness parameter ε_cor: the verification hash's collision bound must not exceed it (default
    /// 10⁻¹⁵).
    pub eps_cor: f64,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig { frame_bits: 1 << 16, eps_cor: 1e-15 }
    }
}

/// The result of reconciling two keys.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// Alice's key restricted to the verified frames (her bits are never changed).
    pub alice_key: BitVec,
    /// Bob's corrected key, the same frames.
    pub bob_key: BitVec,
    /// Every disclosed bit: parities plus verification tags (discarded frames included).
    pub leaked_bits: u64,
    /// Parity bits disclosed.
    pub parity_bits: u64,
    /// Verification-tag bits disclosed (128 per frame).
    pub hash_bits: u64,
    /// Round trips of the longest frame (frames run in lockstep, so their messages of one step share a round
    /// trip).
    pub channel_uses: u32,
    /// Round trips summed over frames.
    pub channel_uses_total: u64,
    /// f = parity bits / (n·h(Q)), Q the actual error rate when it is nonzero (the driver sees both keys),
    /// else the estimate.
    pub efficiency: f64,
    /// As `efficiency` with the tag bits counted too.
    pub efficiency_with_hash: f64,
    /// Bits Bob flipped.
    pub errors_corrected: u64,
    /// Positions where the keys differed before reconciliation.
    pub errors_initial: u64,
    /// Frames run.
    pub frames: usize,
    /// Frames that failed verification and were dropped.
    pub frames_discarded: usize,
    /// Whether every frame verified.
    pub verified: bool,
}

/// Binary entropy h(q) = −q log₂ q − (1−q) log₂(1−q).
pub fn binary_entropy(q: f64) -> f64 {
    if q <= 0.0 || q >= 1.0 { 0.0 } else { -q * q.log2() - (1.0 - q) * (1.0 - q).log2() }
}

/// Runs one session in process: Bob's messages to Alice and her answers, each pair also handed to `tap`
/// (a transport or a counter). Returns Bob's outcome.
///
/// # Errors
/// Whatever either side rejects ([`Error::Protocol`]), or a session exceeding 10⁶ steps.
pub fn drive(
    alice: &mut AliceCascade,
    bob: &mut BobCascade,
    mut tap: impl FnMut(&BobMessage, &AliceMessage),
) -> Result<BobOutcome> {
    let mut msg = bob.start()?;
    for _ in 0..1_000_000 {
        let reply = alice.respond(&msg)?;
        tap(&msg, &reply);
        match bob.receive(&reply)? {
            BobStep::Send(next) => msg = next,
            BobStep::Done(outcome) => return Ok(outcome),
        }
    }
    Err(Error::Protocol { detail: "session did not finish within 10^6 steps".into() })
}

/// Reconciles Bob's `bob` key with Alice's `alice` key with [`ReconcileConfig::default`]; see
/// [`reconcile_with`].
///
/// # Errors
/// As [`reconcile_with`].
pub fn reconcile(
    alice: &BitVec,
    bob: &BitVec,
    qber_estimate: f64,
    variant: Variant,
    seed: u64,
) -> Result<Reconciled> {
    reconcile_with(alice, bob, qber_estimate, variant, seed, &ReconcileConfig::default())
}

/// Reconciles two keys frame by frame (module docs, "Long keys"): shuffle seeds and verification-hash keys
/// are derived from `seed` and the frame index (a simulation; over a network Alice draws the hash key from
/// a CSPRNG, see [`AliceCascade::new`]).
///
/// # Errors
/// [`Error::EmptyKey`], [`Error::LengthMismatch`], [`Error::InvalidParameter`] for Q outside (0, 0.5),
/// a zero frame size or ε_cor outside (0, 1), [`Error::Unsupported`] if the hash bound exceeds ε_cor.
pub fn reconcile_with(
    alice: &BitVec,
    bob: &BitVec,
    qber_estimate: f64,
    variant: Variant,
    seed: u64,
    config: &ReconcileConfig,
) -> Result<Reconciled> {
    if alice.is_empty() || bob.is_empty() {
        return Err(Error::EmptyKey);
    }
    if alice.len() != bob.len() {
        return Err(Error::LengthMismatch { alice: alice.len(), bob: bob.len() });
    }
    bob::check_qber(qber_estimate)?;
    if config.frame_bits == 0 {
        return Err(Error::InvalidParameter { name: "frame_bits", value: 0.0, expected: "at least 1" });
    }
    let n = alice.len();
    let frames = n.div_ceil(config.frame_bits).max(1);
    let bounds: Vec<(usize, usize)> = (0..frames).map(|i| (i * n / frames, (i + 1) * n / frames)).collect();
    let longest = bounds.iter().map(|(a, b)| b - a).max().unwrap_or(n);
    verify::check_bound(longest, config.eps_cor)?;

    let results: Vec<Result<(BitVec, BobOutcome)>> = bounds
        .par_iter()
        .enumerate()
        .map(|(i, &(lo, hi))| {
            let slice =
                |k: &BitVec| k.slice(lo, hi).ok_or_else(|| Error::Protocol { detail: "frame bounds".into() });
            let frame_seed = splitmix(seed ^ splitmix(i as u64));
            let mut rng = ChaCha20Rng::seed_from_u64(splitmix(frame_seed ^ 0x7665_7269_6679));
            let a = slice(alice)?;
            let mut alice_sm = AliceCascade::new(a.clone(), &mut rng)?;
            let mut bob_sm = BobCascade::new(slice(bob)?, qber_estimate, variant, frame_seed)?;
            let outcome = drive(&mut alice_sm, &mut bob_sm, |_, _| {})?;
            Ok((a, outcome))
        })
        .collect();

    let mut out = Reconciled {
        alice_key: BitVec::with_capacity(n),
        bob_key: BitVec::with_capacity(n),
        leaked_bits: 0,
        parity_bits: 0,
        hash_bits: 0,
        channel_uses: 0,
        channel_uses_total: 0,
        efficiency: 0.0,
        efficiency_with_hash: 0.0,
        errors_corrected: 0,
        errors_initial: alice.hamming_distance(bob) as u64,
        frames,
        frames_discarded: 0,
        verified: true,
    };
    for r in results {
        let (a, o) = r?;
        out.parity_bits += o.parity_bits;
        out.hash_bits += o.hash_bits;
        out.channel_uses = out.channel_uses.max(o.channel_uses);
        out.channel_uses_total += u64::from(o.channel_uses);
        out.errors_corrected += o.errors_corrected;
        if o.verified {
            out.alice_key.extend_from(&a);
            out.bob_key.extend_from(&o.key);
        } else {
            out.frames_discarded += 1;
            out.verified = false;
        }
    }
    out.leaked_bits = out.parity_bits + out.hash_bits;
    let q = if out.errors_initial > 0 { out.errors_initial as f64 / n as f64 } else { qber_estimate };
    let ideal = n as f64 * binary_entropy(q);
    out.efficiency = out.parity_bits as f64 / ideal;
    out.efficiency_with_hash = out.leaked_bits as f64 / ideal;
    Ok(out)
}

/// One simulated frame: statistics of [`simulate_frame`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    /// Errors placed (round(Q·n)).
    pub errors: usize,
    /// Parity bits disclosed.
    pub parity_bits: u64,
    /// f = parity bits / (n·h(errors/n)); infinite if no errors were placed.
    pub efficiency: f64,
    /// Round trips, verification included.
    pub channel_uses: u32,
    /// Errors left in Bob's frame after Cascade (0 unless the frame failed).
    pub residual_errors: usize,
    /// Whether the verification hash matched.
    pub verified: bool,
}

/// A random `n`-bit frame for Alice and Bob's copy with exactly `errors` flipped bits at uniformly random
/// positions (seeded).
///
/// # Errors
/// [`Error::EmptyKey`] for n = 0, [`Error::InvalidParameter`] if `errors > n`.
pub fn frame_pair(n: usize, errors: usize, seed: u64) -> Result<(BitVec, BitVec)> {
    use rand::Rng;
    if n == 0 {
        return Err(Error::EmptyKey);
    }
    if errors > n {
        return Err(Error::InvalidParameter { name: "errors", value: errors as f64, expected: "at most n" });
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut words: Vec<u64> = (0..n.div_ceil(64)).map(|_| rng.next_u64()).collect();
    if !n.is_multiple_of(64)
        && let Some(last) = words.last_mut()
    {
        *last &= (1u64 << (n % 64)) - 1;
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let alice = BitVec::from_bytes(&bytes, n).ok_or(Error::EmptyKey)?;
    // Floyd's sampling of `errors` distinct positions.
    let mut chosen = std::collections::HashSet::with_capacity(errors);
    for j in n - errors..n {
        let t = ((u128::from(rng.next_u64()) * (j as u128 + 1)) >> 64) as usize;
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut bob = alice.clone();
    for &x in &chosen {
        bob.flip(x);
    }
    Ok((alice, bob))
}

/// Reconciles one `n`-bit frame with exactly round(`qber`·n) errors (the CLI's and the benches' workload).
///
/// # Errors
/// [`Error::EmptyKey`] for n = 0, [`Error::InvalidParameter`] for Q outside (0, 0.5), or a protocol error.
pub fn simulate_frame(n: usize, qber: f64, variant: Variant, seed: u64) -> Result<FrameStats> {
    bob::check_qber(qber)?;
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 ≤ Q·n ≤ n/2")]
    let errors = (qber * n as f64).round() as usize;
    let (alice, bob) = frame_pair(n, errors, seed)?;
    let mut rng = ChaCha20Rng::seed_from_u64(splitmix(seed ^ 0x7665_7269_6679));
    let mut alice_sm = AliceCascade::new(alice.clone(), &mut rng)?;
    let mut bob_sm = BobCascade::new(bob, qber, variant, splitmix(seed))?;
    let o = drive(&mut alice_sm, &mut bob_sm, |_, _| {})?;
    Ok(FrameStats {
        errors,
        parity_bits: o.parity_bits,
        efficiency: o.parity_bits as f64 / (n as f64 * binary_entropy(errors as f64 / n as f64)),
        channel_uses: o.channel_uses,
        residual_errors: alice.hamming_distance(&o.key),
        verified: o.verified,
    })
}

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): decorrelates derived seeds.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
