//! Streaming aggregation of client updates.
//!
//! A client update is a **delta** `Δ_k = w_k − w_t` (local model minus the round's global model) with the number
//! of examples `n_k` it was trained on. Aggregators consume updates one at a time and keep O(P) state, so a
//! round costs O(P·K) time and O(P) memory whatever the number of clients K; they are the seam where an
//! encrypted (CKKS) aggregator plugs in: implement [`Aggregator`] with `Update` = a ciphertext.
//!
//! FedAvg (McMahan et al., AISTATS 2017, Algorithm 1) is the example-weighted mean
//! `Δ̄ = Σ n_k Δ_k / Σ n_k`, computed as a running weighted mean (West, CACM 22:532, 1979):
//! `N ← N + n_k`, `Δ̄ ← Δ̄ + (n_k/N)(Δ_k − Δ̄)`. This form is exact for one client and for identical
//! updates (`Δ_k − Δ̄ = 0`), which the identity tests rely on.
//!
//! ```
//! use quantumacy_fl::{AggregateExt, ClientId, ClientUpdate};
//!
//! let updates = vec![
//!     ClientUpdate::new(ClientId(0), 30, vec![1.0, -2.0])?,
//!     ClientUpdate::new(ClientId(1), 10, vec![5.0, 2.0])?,
//! ];
//! let mean = updates.into_iter().aggregate()?;
//! assert_eq!(mean.delta, vec![2.0, -1.0]);
//! assert_eq!(mean.weight, 40.0);
//! # Ok::<(), quantumacy_fl::Error>(())
//! ```

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result, UpdateFault};

/// A client (hospital) identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ClientId(pub u32);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}", self.0)
    }
}

/// A validated plaintext client update: every coordinate finite, at least one example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientUpdate {
    client: ClientId,
    examples: u64,
    delta: Vec<f64>,
}

impl ClientUpdate {
    /// Accepts `delta` from `client`, trained on `examples` rows.
    ///
    /// # Errors
    /// [`Error::BadUpdate`] naming the client if a coordinate is NaN/±∞ or `examples` is 0.
    pub fn new(client: ClientId, examples: u64, delta: Vec<f64>) -> Result<Self> {
        if examples == 0 {
            return Err(Error::BadUpdate { client, fault: UpdateFault::NoExamples });
        }
        if let Some(index) = first_non_finite(&delta) {
            return Err(Error::BadUpdate { client, fault: UpdateFault::NonFinite { index } });
        }
        Ok(ClientUpdate { client, examples, delta })
    }

    /// The sender.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// Training examples behind the update (its FedAvg weight).
    pub fn examples(&self) -> u64 {
        self.examples
    }

    /// The delta `w_k − w_t`.
    pub fn delta(&self) -> &[f64] {
        &self.delta
    }

    /// Takes the delta out.
    pub fn into_delta(self) -> Vec<f64> {
        self.delta
    }
}

/// Index of the first NaN/±∞. Scans in blocks with a branch-free reduction (vectorises), then locates.
fn first_non_finite(v: &[f64]) -> Option<usize> {
    const BLOCK: usize = 64;
    v.chunks(BLOCK).enumerate().find_map(|(b, chunk)| {
        // x·0 is 0 for finite x and NaN for NaN/±∞, so the block sum is NaN iff some entry is not finite.
        let probe: f64 = chunk.iter().map(|x| x * 0.0).sum();
        if probe.is_nan() { chunk.iter().position(|x| !x.is_finite()).map(|i| b * BLOCK + i) } else { None }
    })
}

/// The result of an aggregation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    /// The aggregated delta.
    pub delta: Vec<f64>,
    /// The clients whose updates it contains, in arrival order.
    pub clients: Vec<ClientId>,
    /// Total weight (examples for FedAvg, clients for the DP sum).
    pub weight: f64,
}

/// Consumes updates one by one in O(P) memory and produces an aggregate.
///
/// A rejected update (`add` returns `Err`) leaves the aggregator unchanged, so the caller may go on with the
/// remaining clients.
pub trait Aggregator {
    /// What clients send (a plaintext [`ClientUpdate`], or a ciphertext for an encrypted aggregator).
    type Update;
    /// What the aggregation yields.
    type Output;

    /// Folds in one update.
    ///
    /// # Errors
    /// [`Error::BadUpdate`] naming the client (wrong length, …); the state is unchanged.
    fn add(&mut self, update: Self::Update) -> Result<()>;

    /// Updates accepted so far.
    fn accepted(&self) -> usize;

    /// The aggregate of everything accepted.
    ///
    /// # Errors
    /// [`Error::NoUpdates`] if nothing was accepted.
    fn finish(self) -> Result<Self::Output>;
}

/// FedAvg: the example-weighted mean of deltas, as a running mean.
///
/// The first accepted update becomes the mean itself (its buffer is moved in, not copied: folding it into a zero
/// mean with ratio n/n = 1 gives exactly its values). Later updates are folded in groups of up to
/// [`FedAvg::GROUP`]: the group's mixing ratios `n_k/N` are fixed on arrival, then the group is applied block by
/// block so each block of the mean stays in L1 while every update of the group passes over it. Per coordinate the
/// arithmetic (and so the result) is exactly that of folding the updates one at a time; the mean is read and
/// written once per group instead of once per update. State is the mean plus at most `GROUP` received updates:
/// O(P). Folded buffers of a megabyte or more are freed on a background rayon task.
#[derive(Debug, Clone)]
pub struct FedAvg {
    params: usize,
    mean: Vec<f64>,
    weight: f64,
    clients: Vec<ClientId>,
    pending: Vec<(f64, Vec<f64>)>,
}

impl FedAvg {
    /// Updates buffered before they are folded into the mean.
    pub const GROUP: usize = 16;
    /// Coordinates per block (64 KiB of mean; a group of blocks fits in L2).
    const BLOCK: usize = 8192;

    /// An empty FedAvg for `params`-dimensional updates.
    pub fn new(params: usize) -> Self {
        FedAvg { params, mean: Vec::new(), weight: 0.0, clients: Vec::new(), pending: Vec::new() }
    }

    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let fold = |(b, block): (usize, &mut [f64])| {
            let (start, len) = (b * Self::BLOCK, block.len());
            // Four updates per sweep: each coordinate of the mean is loaded once, folded with four deltas in
            // arrival order (the same operations as one at a time), and stored once.
            let mut quads = pending.chunks_exact(4);
            for q in &mut quads {
                let [(r0, d0), (r1, d1), (r2, d2), (r3, d3)] = q else { continue };
                let (d0, d1, d2, d3) = (
                    &d0[start..start + len],
                    &d1[start..start + len],
                    &d2[start..start + len],
                    &d3[start..start + len],
                );
                for (j, m) in block.iter_mut().enumerate() {
                    let mut x = *m;
                    x += r0 * (d0[j] - x);
                    x += r1 * (d1[j] - x);
                    x += r2 * (d2[j] - x);
                    x += r3 * (d3[j] - x);
                    *m = x;
                }
            }
            for (r, delta) in quads.remainder() {
                for (m, d) in block.iter_mut().zip(&delta[start..start + len]) {
                    *m += r * (d - *m);
                }
            }
        };
        // Memory-bound: a rayon split measured no faster on this 2-core machine, so it stays sequential.
        self.mean.chunks_mut(Self::BLOCK).enumerate().for_each(fold);
        let mut pending = pending;
        release(pending.drain(..).map(|(_, delta)| delta).collect());
        self.pending = pending;
    }
}

/// Frees folded update buffers. Large ones go to a background rayon task: giving tens of megabytes back to the
/// kernel (glibc trims the heap top with `brk`, or unmaps) costs ≈ 0.5 ms per 8 MB update on this project's
/// machine — 40 % of a 10 × 10⁶ FedAvg (`cargo bench -p quantumacy-fl --bench fl -- fl/aggregate`, profiled
/// with `perf`) — and is no part of averaging, so it overlaps with the caller's next step instead.
fn release(spent: Vec<Vec<f64>>) {
    const BACKGROUND_BYTES: usize = 1 << 20;
    let bytes: usize = spent.iter().map(|d| d.capacity() * size_of::<f64>()).sum();
    if bytes >= BACKGROUND_BYTES {
        rayon::spawn(move || drop(spent));
    }
}

pub(crate) fn check_len(client: ClientId, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::BadUpdate { client, fault: UpdateFault::WrongLength { expected, got } })
    }
}

impl Aggregator for FedAvg {
    type Update = ClientUpdate;
    type Output = Aggregate;

    fn add(&mut self, update: ClientUpdate) -> Result<()> {
        check_len(update.client, self.params, update.delta.len())?;
        let n = update.examples as f64;
        self.weight += n;
        self.clients.push(update.client);
        if self.clients.len() == 1 {
            self.mean = update.delta;
            return Ok(());
        }
        self.pending.push((n / self.weight, update.delta));
        if self.pending.len() == Self::GROUP {
            self.flush();
        }
        Ok(())
    }

    fn accepted(&self) -> usize {
        self.clients.len()
    }

    fn finish(mut self) -> Result<Aggregate> {
        if self.clients.is_empty() {
            return Err(Error::NoUpdates);
        }
        self.flush();
        Ok(Aggregate { delta: self.mean, clients: self.clients, weight: self.weight })
    }
}

/// `updates.into_iter().aggregate()`: FedAvg over an iterator of updates, strict (the first bad one is an error).
pub trait AggregateExt: Iterator<Item = ClientUpdate> + Sized {
    /// The example-weighted mean of the updates.
    ///
    /// # Errors
    /// [`Error::NoUpdates`] for no updates, [`Error::BadUpdate`] for a length that differs from the first.
    fn aggregate(mut self) -> Result<Aggregate> {
        let first = self.next().ok_or(Error::NoUpdates)?;
        let mut agg = FedAvg::new(first.delta.len());
        agg.add(first)?;
        for u in self {
            agg.add(u)?;
        }
        agg.finish()
    }
}

impl<I: Iterator<Item = ClientUpdate>> AggregateExt for I {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Updates large enough to be freed in the background (≥ 1 MiB) still give the weighted mean.
    #[test]
    fn large_updates_average_correctly() {
        let p = 200_000;
        let updates: Vec<ClientUpdate> = (0..5u32)
            .map(|k| {
                let d = (0..p).map(|i| f64::from(k) + (i % 97) as f64 * 1e-3).collect();
                ClientUpdate::new(ClientId(k), u64::from(k) + 1, d).unwrap()
            })
            .collect();
        let want: Vec<f64> = (0..p)
            .map(|i| {
                let num: f64 =
                    (0..5u32).map(|k| f64::from(k + 1) * (f64::from(k) + (i % 97) as f64 * 1e-3)).sum();
                num / 15.0
            })
            .collect();
        let got = updates.into_iter().aggregate().unwrap();
        assert_eq!(got.clients.len(), 5);
        for (g, w) in got.delta.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn bad_updates_are_typed_and_name_the_client() {
        let e = ClientUpdate::new(ClientId(4), 10, vec![0.0, f64::NAN]).unwrap_err();
        assert!(matches!(
            e,
            Error::BadUpdate { client: ClientId(4), fault: UpdateFault::NonFinite { index: 1 } }
        ));
        let long: Vec<f64> = (0..1000).map(|i| if i == 777 { f64::NEG_INFINITY } else { 1.0 }).collect();
        let e = ClientUpdate::new(ClientId(1), 1, long).unwrap_err();
        assert!(matches!(e, Error::BadUpdate { fault: UpdateFault::NonFinite { index: 777 }, .. }));
        assert!(matches!(
            ClientUpdate::new(ClientId(2), 0, vec![1.0]),
            Err(Error::BadUpdate { fault: UpdateFault::NoExamples, .. })
        ));
        let mut agg = FedAvg::new(2);
        agg.add(ClientUpdate::new(ClientId(0), 1, vec![1.0, 1.0]).unwrap()).unwrap();
        let e = agg.add(ClientUpdate::new(ClientId(9), 1, vec![1.0]).unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "update from client 9 rejected: 1 parameters, expected 2");
        assert_eq!(agg.accepted(), 1, "a rejected update leaves the state unchanged");
        assert_eq!(agg.finish().unwrap().delta, vec![1.0, 1.0]);
        assert!(matches!(FedAvg::new(3).finish(), Err(Error::NoUpdates)));
        assert!(matches!(Vec::<ClientUpdate>::new().into_iter().aggregate(), Err(Error::NoUpdates)));
    }

    /// Grouped, blocked folding gives bit-for-bit the one-at-a-time running mean, across block boundaries.
    #[test]
    fn grouped_folding_is_bitwise_sequential() {
        let p = 5000;
        let updates: Vec<(u64, Vec<f64>)> = (0..9u64)
            .map(|k| (k * 7 + 1, (0..p).map(|i| ((i as f64 + 1.3) * (k as f64 + 0.7)).sin()).collect()))
            .collect();
        let (mut mean, mut weight) = (vec![0.0; p], 0.0);
        for (n, d) in &updates {
            weight += *n as f64;
            let r = *n as f64 / weight;
            mean.iter_mut().zip(d).for_each(|(m, x)| *m += r * (x - *m));
        }
        let agg = updates
            .into_iter()
            .enumerate()
            .map(|(i, (n, d))| ClientUpdate::new(ClientId(i as u32), n, d).unwrap())
            .aggregate()
            .unwrap();
        assert_eq!(agg.delta, mean);
        assert_eq!(agg.clients.len(), 9);
    }

    proptest! {
        /// FedAvg of identical updates is that update, exactly, whatever the weights.
        #[test]
        fn identical_updates_average_to_themselves(
            delta in prop::collection::vec(-1e6f64..1e6, 1..50),
            weights in prop::collection::vec(1u64..10_000, 1..12),
        ) {
            let agg = weights
                .iter()
                .enumerate()
                .map(|(i, &w)| ClientUpdate::new(ClientId(i as u32), w, delta.clone()).unwrap())
                .aggregate()
                .unwrap();
            prop_assert_eq!(agg.delta, delta);
        }

        /// The running mean equals Σ n_k Δ_k / Σ n_k (to rounding).
        #[test]
        fn running_mean_is_the_weighted_mean(
            rows in prop::collection::vec((1u64..1000, prop::collection::vec(-10f64..10.0, 4)), 1..10),
        ) {
            let total: f64 = rows.iter().map(|(n, _)| *n as f64).sum();
            let expected: Vec<f64> = (0..4)
                .map(|j| rows.iter().map(|(n, d)| *n as f64 * d[j]).sum::<f64>() / total)
                .collect();
            let agg = rows
                .into_iter()
                .enumerate()
                .map(|(i, (n, d))| ClientUpdate::new(ClientId(i as u32), n, d).unwrap())
                .aggregate()
                .unwrap();
            for (a, e) in agg.delta.iter().zip(&expected) {
                prop_assert!((a - e).abs() <= 1e-12 * (1.0 + e.abs()), "{} vs {}", a, e);
            }
        }
    }
}
