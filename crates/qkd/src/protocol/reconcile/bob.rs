//! Bob's side: chooses the blocks, runs Binary on every odd block in parallel (one message per step), corrects
//! his key and propagates each correction to the blocks of earlier passes (the cascade effect).

use std::collections::HashMap;

use super::messages::{AliceMessage, BobMessage, ParityQuery, SessionParams};
use super::schedule::{Schedule, Variant, permutation};
use super::verify;
use crate::{BitVec, Error, Result};

/// What Bob does after a message from Alice.
#[derive(Debug)]
pub enum BobStep {
    /// Send this to Alice and wait for her answer.
    Send(BobMessage),
    /// The session is over.
    Done(BobOutcome),
}

/// The end of Bob's session.
#[derive(Debug)]
pub struct BobOutcome {
    /// Bob's corrected key. Only use it if `verified`.
    pub key: BitVec,
    /// Whether Alice's verification hash matched Bob's corrected key; a frame that fails must be discarded.
    pub verified: bool,
    /// Parity bits Alice disclosed (requests answered).
    pub parity_bits: u64,
    /// Bits of the verification tag.
    pub hash_bits: u64,
    /// Round trips (Bob's messages answered by Alice, the verification included).
    pub channel_uses: u32,
    /// Bits Bob flipped.
    pub errors_corrected: u64,
    /// Passes run.
    pub passes: u32,
}

/// Parities of Bob's bits in one pass's shuffled order: a Fenwick tree over XOR, so a range parity and a
/// bit flip each cost O(log n).
struct Fenwick(Vec<u8>);

impl Fenwick {
    fn new(bits: impl Iterator<Item = bool>, n: usize) -> Fenwick {
        let mut t = vec![0u8; n + 1];
        for (j, b) in bits.enumerate() {
            t[j + 1] ^= u8::from(b);
            let up = (j + 1) + ((j + 1) & (j + 1).wrapping_neg());
            if up <= n {
                let v = t[j + 1];
                t[up] ^= v;
            }
        }
        Fenwick(t)
    }

    fn toggle(&mut self, j: usize) {
        let mut i = j + 1;
        while i < self.0.len() {
            self.0[i] ^= 1;
            i += i & i.wrapping_neg();
        }
    }

    fn prefix(&self, j: usize) -> u8 {
        let (mut i, mut acc) = (j, 0u8);
        while i > 0 {
            acc ^= self.0[i];
            i &= i - 1;
        }
        acc
    }

    fn range(&self, lo: usize, hi: usize) -> bool {
        self.prefix(hi) ^ self.prefix(lo) == 1
    }
}

/// One pass: its shuffle, Bob's parities, Alice's block parities and (optionally) every sub-block parity she
/// disclosed.
struct Pass {
    k: usize,
    perm: Vec<u32>,
    inv: Vec<u32>,
    bob: Fenwick,
    alice_top: Vec<bool>,
    searching: Vec<bool>,
    known: HashMap<(u32, u32), bool>,
}

impl Pass {
    fn blocks(&self) -> usize {
        self.perm.len().div_ceil(self.k)
    }

    fn bounds(&self, b: usize) -> (usize, usize) {
        (b * self.k, ((b + 1) * self.k).min(self.perm.len()))
    }

    fn block_odd(&self, b: usize) -> bool {
        let (lo, hi) = self.bounds(b);
        self.alice_top[b] ^ self.bob.range(lo, hi)
    }
}

/// A Binary search in progress: Alice's parity of `lo..hi` in pass `pass` is `alice`.
#[derive(Debug, Clone, Copy)]
struct Search {
    pass: usize,
    block: usize,
    lo: usize,
    hi: usize,
    alice: bool,
    /// Its left-half parity was asked in the last message.
    pending: bool,
}

impl Search {
    fn mid(&self) -> usize {
        self.lo + (self.hi - self.lo) / 2
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// Nothing sent yet.
    Start,
    /// Block parities of this pass.
    Top(usize),
    /// Left-half parities of the searches, in order.
    Halves,
    /// The verification hash.
    Verify,
    /// Finished.
    Done,
}

/// Bob's Cascade state machine: holds only his key; drives the session.
pub struct BobCascade {
    key: BitVec,
    params: SessionParams,
    schedule: Schedule,
    passes: Vec<Pass>,
    searches: Vec<Search>,
    dirty: Vec<(usize, usize)>,
    waiting: Waiting,
    step: u32,
    /// Parity of Alice's whole frame (known after pass 0).
    alice_total: bool,
    clean_tail_passes: u32,
    parity_bits: u64,
    errors_corrected: u64,
}

impl std::fmt::Debug for BobCascade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BobCascade")
            .field("key", &self.key)
            .field("params", &self.params)
            .field("step", &self.step)
            .field("parity_bits", &self.parity_bits)
            .finish_non_exhaustive()
    }
}

impl Drop for BobCascade {
    fn drop(&mut self) {
        self.key.zeroize();
        for p in &mut self.passes {
            zeroize::Zeroize::zeroize(&mut p.bob.0);
        }
    }
}

impl BobCascade {
    /// Bob with his frame `key`, the error-rate estimate `qber_estimate` that fixes the block sizes, the
    /// `variant`, and the public `shuffle_seed` he announces in his first message.
    ///
    /// # Errors
    /// [`Error::EmptyKey`], [`Error::InvalidParameter`] for `qber_estimate` outside (0, 0.5),
    /// [`Error::Unsupported`] above u32::MAX bits.
    pub fn new(key: BitVec, qber_estimate: f64, variant: Variant, shuffle_seed: u64) -> Result<BobCascade> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        check_qber(qber_estimate)?;
        let frame_bits = u32::try_from(key.len())
            .map_err(|_| Error::Unsupported { detail: "frames longer than 2^32 − 1 bits".into() })?;
        let schedule = Schedule::new(variant, key.len(), qber_estimate);
        Ok(BobCascade {
            key,
            params: SessionParams { frame_bits, variant, qber_estimate, shuffle_seed },
            schedule,
            passes: Vec::new(),
            searches: Vec::new(),
            dirty: Vec::new(),
            waiting: Waiting::Start,
            step: 0,
            alice_total: false,
            clean_tail_passes: 0,
            parity_bits: 0,
            errors_corrected: 0,
        })
    }

    /// The session parameters Bob announces.
    pub fn params(&self) -> &SessionParams {
        &self.params
    }

    /// Parity bits received so far.
    pub fn parity_bits(&self) -> u64 {
        self.parity_bits
    }

    /// Bob's first message: the session parameters and the block parities of pass 1.
    ///
    /// # Errors
    /// [`Error::Protocol`] if called twice.
    pub fn start(&mut self) -> Result<BobMessage> {
        if self.waiting != Waiting::Start {
            return Err(Error::Protocol { detail: "session already started".into() });
        }
        let queries = self.begin_pass();
        Ok(BobMessage::Open { params: self.params.clone(), queries })
    }

    /// Consumes Alice's answer and returns Bob's next message, or the outcome.
    ///
    /// # Errors
    /// [`Error::Protocol`] for an answer to the wrong step, of the wrong kind or length, or after the end.
    pub fn receive(&mut self, msg: &AliceMessage) -> Result<BobStep> {
        let expected_step = self.step;
        match (self.waiting, msg) {
            (Waiting::Top(_) | Waiting::Halves, AliceMessage::Parities { step, parities })
                if *step == expected_step =>
            {
                let wanted = self.outstanding();
                if parities.len() != wanted {
                    return Err(Error::Protocol {
                        detail: format!("{} parities for {wanted} requests", parities.len()),
                    });
                }
                self.parity_bits += parities.len() as u64;
                self.step += 1;
                match self.waiting {
                    Waiting::Top(p) => self.absorb_top(p, parities),
                    _ => self.absorb_halves(parities),
                }
                Ok(BobStep::Send(self.next_message()?))
            }
            (Waiting::Verify, AliceMessage::Verify { step, hash_key, tag }) if *step == expected_step => {
                self.step += 1;
                self.waiting = Waiting::Done;
                let verified = verify::matches(hash_key, &self.key, tag);
                Ok(BobStep::Done(BobOutcome {
                    key: self.key.clone(),
                    verified,
                    parity_bits: self.parity_bits,
                    hash_bits: verify::TAG_BITS,
                    channel_uses: self.step,
                    errors_corrected: self.errors_corrected,
                    passes: self.passes.len() as u32,
                }))
            }
            (waiting, msg) => Err(Error::Protocol {
                detail: format!("unexpected {msg:?} at step {expected_step} (state {waiting:?})"),
            }),
        }
    }

    /// Requests outstanding in the last message.
    fn outstanding(&self) -> usize {
        match self.waiting {
            Waiting::Top(p) => self.top_queries(p).len(),
            Waiting::Halves => self.searches.iter().filter(|s| s.pending).count(),
            _ => 0,
        }
    }

    /// Blocks of pass `p` whose parity is asked (all but the last when it can be inferred).
    fn top_queries(&self, p: usize) -> std::ops::Range<usize> {
        let nb = self.passes[p].blocks();
        let inferred = p > 0 && self.schedule.infer_last_block;
        0..nb - usize::from(inferred)
    }

    /// Builds the next pass and returns its block-parity requests.
    fn begin_pass(&mut self) -> Vec<ParityQuery> {
        let p = self.passes.len();
        // `next_message` only begins a pass when `block_size(p)` is Some; the fallback is never taken.
        let k = self.schedule.block_size(p).unwrap_or(self.key.len());
        let n = self.key.len();
        let perm = permutation(n, self.params.shuffle_seed, p);
        let mut inv = vec![0u32; n];
        for (j, &x) in perm.iter().enumerate() {
            inv[x as usize] = j as u32;
        }
        let words = self.key.words();
        let bob = Fenwick::new(perm.iter().map(|&x| (words[x as usize / 64] >> (x % 64)) & 1 == 1), n);
        let pass =
            Pass { k, perm, inv, bob, alice_top: Vec::new(), searching: Vec::new(), known: HashMap::new() };
        self.passes.push(pass);
        self.waiting = Waiting::Top(p);
        self.top_queries(p)
            .map(|b| {
                let (lo, hi) = self.passes[p].bounds(b);
                query(p, lo, hi)
            })
            .collect()
    }

    fn absorb_top(&mut self, p: usize, parities: &BitVec) {
        let nb = self.passes[p].blocks();
        let mut top: Vec<bool> = (0..parities.len()).map(|i| parities.get(i) == Some(true)).collect();
        if top.len() < nb {
            // Inferred: the frame parity minus the other blocks.
            let rest = top.iter().fold(false, |a, &b| a ^ b);
            top.push(self.alice_total ^ rest);
        }
        if p == 0 {
            self.alice_total = top.iter().fold(false, |a, &b| a ^ b);
        }
        let pass = &mut self.passes[p];
        pass.alice_top = top;
        pass.searching = vec![false; nb];
        let odd: Vec<usize> = (0..nb).filter(|&b| pass.block_odd(b)).collect();
        if self.schedule.is_tail(p) {
            self.clean_tail_passes = if odd.is_empty() { self.clean_tail_passes + 1 } else { 0 };
        }
        for b in odd {
            self.start_search(p, b);
        }
    }

    fn absorb_halves(&mut self, parities: &BitVec) {
        let reuse = self.schedule.reuse_subblocks;
        for (i, s) in self.searches.iter_mut().filter(|s| s.pending).enumerate() {
            s.pending = false;
            let a = parities.get(i) == Some(true);
            let mid = s.mid();
            let pass = &mut self.passes[s.pass];
            if reuse {
                pass.known.insert((s.lo as u32, mid as u32), a);
                pass.known.insert((mid as u32, s.hi as u32), s.alice ^ a);
            }
            descend(s, a, &pass.bob);
        }
    }

    fn start_search(&mut self, p: usize, b: usize) {
        let pass = &mut self.passes[p];
        let (lo, hi) = pass.bounds(b);
        pass.searching[b] = true;
        self.searches.push(Search { pass: p, block: b, lo, hi, alice: pass.alice_top[b], pending: false });
    }

    /// Runs every search as far as known parities allow, corrects, cascades; then asks for what is missing,
    /// starts the next pass, or asks for the verification hash.
    fn next_message(&mut self) -> Result<BobMessage> {
        loop {
            self.settle()?;
            if !self.searches.is_empty() {
                self.waiting = Waiting::Halves;
                // Smallest intervals first (cascade-effect ordering): a search whose interval is more than
                // `defer` times the smallest waits, since the small ones often correct its error for free.
                let smallest = self.searches.iter().map(|s| s.hi - s.lo).min().unwrap_or(0);
                let limit = smallest.saturating_mul(self.schedule.defer_factor);
                let mut queries = Vec::new();
                for s in &mut self.searches {
                    if s.hi - s.lo <= limit {
                        s.pending = true;
                        queries.push(query(s.pass, s.lo, s.mid()));
                    }
                }
                return Ok(BobMessage::Query { step: self.step, queries });
            }
            let p = self.passes.len();
            let stop = self.schedule.stop_after_clean.is_some_and(|c| self.clean_tail_passes >= c);
            if stop || self.schedule.block_size(p).is_none() {
                self.waiting = Waiting::Verify;
                return Ok(BobMessage::Finish { step: self.step });
            }
            let queries = self.begin_pass();
            if !queries.is_empty() {
                return Ok(BobMessage::Query { step: self.step, queries });
            }
            // A pass whose only block parity is inferred needs no message.
            self.absorb_top(p, &BitVec::new());
        }
    }

    /// Advances searches without asking: drops those no longer odd, descends through known sub-block
    /// parities, flips the bit a search isolates and restarts Binary on the blocks that flip made odd.
    fn settle(&mut self) -> Result<()> {
        loop {
            let mut changed = false;
            let mut i = 0;
            while i < self.searches.len() {
                let mut s = self.searches[i];
                let pass = &self.passes[s.pass];
                if !(s.alice ^ pass.bob.range(s.lo, s.hi)) {
                    self.dirty.push((s.pass, s.block));
                    self.remove_search(i);
                    changed = true;
                    continue;
                }
                while s.hi - s.lo > 1 {
                    match pass.known.get(&(s.lo as u32, s.mid() as u32)) {
                        Some(&a) => descend(&mut s, a, &pass.bob),
                        None => break,
                    }
                }
                if s.hi - s.lo == 1 {
                    let x = pass.perm[s.lo] as usize;
                    self.remove_search(i);
                    self.flip(x);
                    // Honest answers make every flip a correction, so at most n of them; more means
                    // inconsistent parities (which could otherwise cycle here forever).
                    if self.errors_corrected > self.key.len() as u64 {
                        return Err(Error::Protocol { detail: "inconsistent parities".into() });
                    }
                    changed = true;
                    continue;
                }
                self.searches[i] = s;
                i += 1;
            }
            while let Some((p, b)) = self.dirty.pop() {
                if !self.passes[p].searching[b] && self.passes[p].block_odd(b) {
                    self.start_search(p, b);
                    changed = true;
                }
            }
            if !changed {
                return Ok(());
            }
        }
    }

    fn remove_search(&mut self, i: usize) {
        let s = self.searches.swap_remove(i);
        self.passes[s.pass].searching[s.block] = false;
    }

    /// Corrects bit `x` and marks the block holding it in every pass as possibly odd.
    fn flip(&mut self, x: usize) {
        self.key.flip(x);
        self.errors_corrected += 1;
        for (p, pass) in self.passes.iter_mut().enumerate() {
            let j = pass.inv[x] as usize;
            pass.bob.toggle(j);
            if !pass.alice_top.is_empty() {
                self.dirty.push((p, j / pass.k));
            }
        }
    }
}

/// Moves `s` into the half that holds an odd number of errors, given Alice's left-half parity `a`.
fn descend(s: &mut Search, a: bool, bob: &Fenwick) {
    let mid = s.mid();
    if a ^ bob.range(s.lo, mid) {
        s.hi = mid;
        s.alice = a;
    } else {
        s.lo = mid;
        s.alice ^= a;
    }
}

fn query(pass: usize, lo: usize, hi: usize) -> ParityQuery {
    // Passes < MAX_PASSES = 128 and frames ≤ u32::MAX bits (checked in `BobCascade::new`).
    #[expect(clippy::cast_possible_truncation, reason = "bounded, see above")]
    ParityQuery { pass: pass as u16, start: lo as u32, end: hi as u32 }
}

/// Checks 0 < Q < 0.5.
pub(crate) fn check_qber(q: f64) -> Result<()> {
    if q.is_finite() && q > 0.0 && q < 0.5 {
        Ok(())
    } else {
        Err(Error::InvalidParameter { name: "qber", value: q, expected: "in (0, 0.5)" })
    }
}
