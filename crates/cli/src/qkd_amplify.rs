//! `quantumacy qkd amplify`: privacy amplification of a key file by (modified) Toeplitz hashing, or a one-thread
//! throughput benchmark (`--bench`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::anyhow;
use clap::Args;
use quantumacy_qkd::BitVec;
use quantumacy_qkd::protocol::amplify::{Backend, ModifiedToeplitzHash, ToeplitzHash};

use crate::output::{Failure, Output};

#[derive(Debug, Args)]
pub(crate) struct AmplifyArgs {
    /// Input key file (bits LSB-first); required unless --bench.
    #[arg(long, required_unless_present = "bench")]
    key: Option<PathBuf>,
    /// Seed file (LSB-first) of at least input + output − 1 bits (toeplitz) or input − 1 bits (modified);
    /// required unless --bench.
    #[arg(long, required_unless_present = "bench")]
    seed: Option<PathBuf>,
    /// Input length n in bits.
    #[arg(long)]
    input_bits: usize,
    /// Output length m in bits (m ≤ n).
    #[arg(long)]
    output_bits: usize,
    /// Output file, written whole or not at all; required unless --bench.
    #[arg(long, required_unless_present = "bench")]
    out: Option<PathBuf>,
    /// Hash family: Toeplitz (n + m − 1 seed bits) or modified Toeplitz (I | T′) (n − 1 seed bits).
    #[arg(long, value_enum, default_value_t = Variant::Toeplitz)]
    variant: Variant,
    /// Computation: the fastest this build has, bit-packed carry-less (clmul), or NTT.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// Hash random data repeatedly and report input throughput instead (one thread).
    #[arg(long)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Variant {
    /// T_ij = s[(i − j) mod (n + m − 1)].
    Toeplitz,
    /// y = x[0..m] ⊕ T′·x[m..n], T′_ij = s[(i − j) mod (n − 1)] (Hayashi and Tsurumaru 2016).
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BackendArg {
    /// Carry-less if compiled in, else NTT.
    Auto,
    /// Bit-packed transposed Karatsuba on pclmulqdq.
    Clmul,
    /// Number-theoretic transform, one bit per coefficient.
    Ntt,
}

impl BackendArg {
    fn resolve(self) -> Backend {
        match self {
            BackendArg::Auto => Backend::fastest(),
            BackendArg::Clmul => Backend::Clmul,
            BackendArg::Ntt => Backend::Ntt,
        }
    }
}

/// A prepared hash of either family.
enum Hash {
    Toeplitz(ToeplitzHash),
    Modified(ModifiedToeplitzHash),
}

impl Hash {
    fn new(
        variant: Variant,
        seed: &BitVec,
        n: usize,
        m: usize,
        backend: Backend,
    ) -> quantumacy_qkd::Result<Self> {
        Ok(match variant {
            Variant::Toeplitz => Hash::Toeplitz(ToeplitzHash::with_backend(seed, n, m, backend)?),
            Variant::Modified => Hash::Modified(ModifiedToeplitzHash::with_backend(seed, n, m, backend)?),
        })
    }

    fn hash(&self, x: &BitVec) -> quantumacy_qkd::Result<BitVec> {
        match self {
            Hash::Toeplitz(h) => h.hash(x),
            Hash::Modified(h) => h.hash(x),
        }
    }
}

/// Seed bits the family needs (saturating, so that bad n and m reach the library's typed error).
fn seed_bits(variant: Variant, n: usize, m: usize) -> usize {
    match variant {
        Variant::Toeplitz => (n + m).saturating_sub(1),
        Variant::Modified => n.saturating_sub(1),
    }
}

#[derive(serde::Serialize)]
struct AmplifyReport {
    variant: Variant,
    backend: &'static str,
    input_bits: usize,
    output_bits: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    out: Option<String>,
    /// Input bits per second, seed preparation included (a fresh seed per block, as in QKD).
    #[serde(skip_serializing_if = "Option::is_none")]
    mbit_per_s: Option<f64>,
    /// Input bits per second with the seed prepared beforehand.
    #[serde(skip_serializing_if = "Option::is_none")]
    prepared_mbit_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    median_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prepared_median_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reps: Option<usize>,
}

pub(crate) fn amplify(args: &AmplifyArgs, out: &Output) -> Result<(), Failure> {
    let (n, m) = (args.input_bits, args.output_bits);
    let backend = args.backend.resolve();
    if args.bench {
        return bench(args, backend, out);
    }
    // clap enforces these when --bench is absent.
    let (Some(key_path), Some(seed_path), Some(out_path)) = (&args.key, &args.seed, &args.out) else {
        return Err(Failure::usage(anyhow!("--key, --seed and --out are required without --bench")));
    };
    let key = read_bits(key_path, n, "key")?;
    let seed = read_bits(seed_path, seed_bits(args.variant, n, m), "seed")?;
    let hash = Hash::new(args.variant, &seed, n, m, backend).map_err(Failure::usage)?;
    let y = hash.hash(&key).map_err(Failure::usage)?;
    write_whole(out_path, &y.to_bytes())?;
    let report = AmplifyReport {
        variant: args.variant,
        backend: backend.name(),
        input_bits: n,
        output_bits: m,
        out: Some(out_path.display().to_string()),
        mbit_per_s: None,
        prepared_mbit_per_s: None,
        median_ms: None,
        prepared_median_ms: None,
        reps: None,
    };
    out.emit(&report, |r| format!("wrote {} bits to {}", r.output_bits, r.out.as_deref().unwrap_or("")))
}

/// Median wall time of seed preparation + hash, and of the hash alone, over 21 runs on random data.
fn bench(args: &AmplifyArgs, backend: Backend, out: &Output) -> Result<(), Failure> {
    use rand::{Rng, SeedableRng};
    let (n, m) = (args.input_bits, args.output_bits);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut random = |bits: usize| -> BitVec {
        // Cannot fail: ⌈bits / 64⌉ words.
        BitVec::from_words((0..bits.div_ceil(64)).map(|_| rng.next_u64()).collect(), bits).unwrap_or_default()
    };
    let seed = random(seed_bits(args.variant, n, m));
    let key = random(n);
    let prepared = Hash::new(args.variant, &seed, n, m, backend).map_err(Failure::usage)?;
    let reps = 21;
    let (mut total, mut hash_only) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for _ in 0..reps {
        let t = Instant::now();
        let fresh = Hash::new(args.variant, &seed, n, m, backend).map_err(Failure::failed)?;
        std::hint::black_box(fresh.hash(&key).map_err(Failure::failed)?);
        total.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(prepared.hash(&key).map_err(Failure::failed)?);
        hash_only.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (t_total, t_hash) = (median(&mut total), median(&mut hash_only));
    let report = AmplifyReport {
        variant: args.variant,
        backend: backend.name(),
        input_bits: n,
        output_bits: m,
        out: None,
        mbit_per_s: Some(n as f64 / t_total / 1e6),
        prepared_mbit_per_s: Some(n as f64 / t_hash / 1e6),
        median_ms: Some(t_total * 1e3),
        prepared_median_ms: Some(t_hash * 1e3),
        reps: Some(reps),
    };
    out.emit(&report, |r| {
        format!(
            "{:?} {} → {} bits ({}, one thread, medians of {} runs): {:.3} ms = {:.1} Mbit/s input with seed \
             preparation; {:.3} ms = {:.1} Mbit/s with the seed prepared",
            r.variant,
            r.input_bits,
            r.output_bits,
            r.backend,
            r.reps.unwrap_or(0),
            r.median_ms.unwrap_or(0.0),
            r.mbit_per_s.unwrap_or(0.0),
            r.prepared_median_ms.unwrap_or(0.0),
            r.prepared_mbit_per_s.unwrap_or(0.0)
        )
    })
}

fn read_bits(path: &Path, bits: usize, what: &str) -> Result<BitVec, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::failed(anyhow!("cannot read {}: {e}", path.display())))?;
    BitVec::from_bytes(&bytes, bits).ok_or_else(|| {
        Failure::usage(anyhow!(
            "{what} file {} holds {} bits, fewer than {bits}",
            path.display(),
            bytes.len() * 8
        ))
    })
}

/// Writes to a temporary file in the same directory, then renames it over `path`: a failure never leaves a
/// half-written output.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::failed(anyhow!("cannot write {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
