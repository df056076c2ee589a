//! `quantumacy qkd reconcile`: Cascade efficiency, channel uses, frame error rate and throughput over many
//! simulated frames.

use anyhow::anyhow;
use quantumacy_qkd::protocol::reconcile::{
    AliceCascade, BobCascade, Variant, binary_entropy, drive, frame_pair,
};
use rand::SeedableRng;
use serde::Serialize;

use crate::output::{Failure, Output};

/// Arguments of `quantumacy qkd reconcile`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReconcileArgs {
    /// Frame length n in bits.
    #[arg(long, default_value_t = 10_000)]
    bits: usize,
    /// Error rate Q: each frame gets exactly round(Q·n) errors at random positions; Q is also the estimate.
    #[arg(long, default_value_t = 0.03, allow_negative_numbers = true)]
    qber: f64,
    /// Cascade variant.
    #[arg(long, value_enum, default_value_t = VariantArg::Original)]
    variant: VariantArg,
    /// Number of frames.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Seed of frames, shuffles and hash keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VariantArg {
    /// Brassard–Salvail: 4 passes, k1 = 0.73/Q, doubling.
    Original,
    /// 2 passes (k1 = 0.92/Q, k2 = 3k1) then BICONF.
    Biconf,
    /// Yan et al.: k1 = 0.8/Q, k2 = 5k1, then n/2, 10 passes.
    Yanetal,
    /// Option 3: k1 = 1/Q, k2 = 2k1, then n/2, 16 passes.
    Option3,
    /// Powers of two, sub-block reuse, block-parity inference, n/2 passes until clean.
    Best,
}

impl From<VariantArg> for Variant {
    fn from(v: VariantArg) -> Variant {
        match v {
            VariantArg::Original => Variant::Original,
            VariantArg::Biconf => Variant::Biconf,
            VariantArg::Yanetal => Variant::YanEtAl,
            VariantArg::Option3 => Variant::Option3,
            VariantArg::Best => Variant::Best,
        }
    }
}

#[derive(Debug, Serialize)]
struct ReconcileReport {
    variant: &'static str,
    bits: usize,
    qber: f64,
    errors_per_frame: usize,
    runs: usize,
    /// Mean of f = parity bits / (n·h(errors/n)) (the paper's definition, without the hash).
    efficiency_mean: f64,
    efficiency_std: f64,
    /// Mean f with the 128-bit verification tag counted.
    efficiency_with_hash_mean: f64,
    parity_bits_mean: f64,
    channel_uses_mean: f64,
    /// Frames left with at least one error by Cascade (all caught by the hash and discarded).
    frame_errors: usize,
    frame_error_rate: f64,
    /// Frames with residual errors that nevertheless verified (must be 0).
    undetected_frame_errors: usize,
    /// Sifted bits reconciled per second of wall time, frames run one after another on one thread (both
    /// parties and the hash included, frame generation excluded).
    mbit_per_s: f64,
    /// The same per second of this thread's CPU time (Linux `/proc/thread-self/schedstat`), insensitive to
    /// other processes sharing the core; absent where unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    mbit_per_s_cpu: Option<f64>,
    threads: usize,
}

pub(crate) fn run(args: &ReconcileArgs, out: &Output) -> Result<(), Failure> {
    if args.bits == 0 {
        return Err(Failure::usage(anyhow!("--bits must be at least 1")));
    }
    if args.runs == 0 {
        return Err(Failure::usage(anyhow!("--runs must be at least 1")));
    }
    if !(args.qber.is_finite() && args.qber > 0.0 && args.qber < 0.5) {
        return Err(Failure::usage(anyhow!("--qber = {} must be in (0, 0.5)", args.qber)));
    }
    let n = args.bits;
    let variant = Variant::from(args.variant);
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 < Q·n < n/2")]
    let errors = (args.qber * n as f64).round() as usize;
    let progress = out.progress(args.runs as u64, "frames");
    let (mut f, mut f_hash, mut parity, mut uses) = (Vec::new(), 0.0, 0.0, 0.0);
    let (mut frame_errors, mut undetected) = (0usize, 0usize);
    let ideal = n as f64 * binary_entropy(errors as f64 / n as f64);
    // Frames are prepared first so that the timed loop runs Cascade only.
    let frames = (0..args.runs as u64)
        .map(|r| {
            let frame_seed = args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(r);
            frame_pair(n, errors, frame_seed).map(|(a, b)| (frame_seed, a, b))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::usage)?;
    let mut outcomes = Vec::with_capacity(frames.len());
    let cpu_start = thread_cpu_ns();
    let start = std::time::Instant::now();
    for (frame_seed, a, b) in &frames {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(frame_seed ^ 0x5eed);
        let mut alice = AliceCascade::new(a.clone(), &mut rng).map_err(Failure::usage)?;
        let mut bob = BobCascade::new(b.clone(), args.qber, variant, *frame_seed).map_err(Failure::usage)?;
        outcomes.push(drive(&mut alice, &mut bob, |_, _| {}).map_err(Failure::failed)?);
        progress.inc(1);
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_start.zip(thread_cpu_ns()).map(|(s, e)| e.saturating_sub(s) as f64 * 1e-9);
    for ((_, a, _), o) in frames.iter().zip(&outcomes) {
        let residual = a.hamming_distance(&o.key);
        frame_errors += usize::from(residual > 0);
        undetected += usize::from(residual > 0 && o.verified);
        f.push(o.parity_bits as f64 / ideal);
        f_hash += (o.parity_bits + o.hash_bits) as f64 / ideal;
        parity += o.parity_bits as f64;
        uses += f64::from(o.channel_uses);
    }
    progress.finish_and_clear();
    let runs = args.runs as f64;
    let mean = f.iter().sum::<f64>() / runs;
    let var =
        if f.len() > 1 { f.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (runs - 1.0) } else { 0.0 };
    let report = ReconcileReport {
        variant: variant.name(),
        bits: n,
        qber: args.qber,
        errors_per_frame: errors,
        runs: args.runs,
        efficiency_mean: mean,
        efficiency_std: var.sqrt(),
        efficiency_with_hash_mean: f_hash / runs,
        parity_bits_mean: parity / runs,
        channel_uses_mean: uses / runs,
        frame_errors,
        frame_error_rate: frame_errors as f64 / runs,
        undetected_frame_errors: undetected,
        mbit_per_s: (n as f64 * runs) / wall.max(1e-12) / 1e6,
        mbit_per_s_cpu: cpu.map(|c| (n as f64 * runs) / c.max(1e-12) / 1e6),
        threads: 1,
    };
    out.emit(&report, |r| {
        format!(
            "Cascade {} at n = {}, Q = {} ({} errors/frame), {} frames:\n  f = {:.4} ± {:.4} (with hash {:.4}), \
             {:.1} channel uses, FER {:.2e} ({} frames, {} undetected)\n  {:.1} Mbit/s on one thread ({} Mbit/s per CPU-second)",
            r.variant,
            r.bits,
            r.qber,
            r.errors_per_frame,
            r.runs,
            r.efficiency_mean,
            r.efficiency_std,
            r.efficiency_with_hash_mean,
            r.channel_uses_mean,
            r.frame_error_rate,
            r.frame_errors,
            r.undetected_frame_errors,
            r.mbit_per_s,
            r.mbit_per_s_cpu.map_or("?".into(), |c| format!("{c:.1}"))
        )
    })
}

/// CPU time of the calling thread in ns (first field of `/proc/thread-self/schedstat`), if readable.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}
