//! Mode-level engine throughput on one thread: mode-samples per second of wall time. Run it under
//! `RAYON_NUM_THREADS=1 /usr/bin/time` to also get CPU time on a loaded machine.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p quantumacy-optical --example mode_throughput`

use ndarray::Array2;
use quantumacy_optical::{Engine, ModeEngine, Packing};

fn main() -> anyhow::Result<()> {
    let n = 784;
    let w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 31 + j * 17) % 23) as f32 / 11.0 - 1.0);
    let batch = 16;
    let x = Array2::from_shape_fn((batch, n), |(b, i)| ((i + b) % 13) as f32 / 13.0 + 0.1);
    let engine = ModeEngine::new(1.0, 1.43, Packing::Complex)?;
    let reps = 20;
    let start = std::time::Instant::now();
    let mut sink = 0.0f32;
    for r in 0..reps {
        sink += engine.matmul(w.view(), x.view(), r)?[[0, 0]];
    }
    let secs = start.elapsed().as_secs_f64();
    let samples = reps as f64 * (batch * n * n) as f64;
    println!("{samples:.3e} mode-samples in {secs:.3}s wall: {:.3e}/s (checksum {sink:.3})", samples / secs);
    Ok(())
}
