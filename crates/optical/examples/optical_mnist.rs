//! MNIST through the optical quantum-secure MPC engine: find the operating point within the leakage budget,
//! classify the t10k set with the Gaussian engine, a slice of it with the mode-level engine, and verify the
//! client from the returned light.
//!
//! `cargo run --release -p quantumacy-optical --example optical_mnist`

use ndarray::Axis;
use quantumacy_data::{DataDir, mnist};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::sweep::{Budget, operating_point};
use quantumacy_optical::{GaussianEngine, ModeEngine, Packing, Verifier, pretrained};

fn main() -> anyhow::Result<()> {
    let dir = DataDir::locate()?;
    let test = mnist::load_test(&dir)?;
    let x = mnist_inputs(test.images())?;
    let net = pretrained::mlp(&dir)?;

    let budget = Budget::default(); // I_w < 0.1, I_x < 0.01, n = 392, arXiv-v1 conventions, authors' mapping
    let point = operating_point(&budget)?;
    println!(
        "operating point: mu = {:.3}, G = {:.3}, F = {:.3}, I_w = {:.4}, I_x = {:.5}",
        point.mu, point.gain, point.snr, point.weight_leakage_bits, point.data_leakage_bits
    );

    let clean = net.accuracy_clean(x.view(), test.labels())?;
    let start = std::time::Instant::now();
    let noisy = net.accuracy(&GaussianEngine::new(point.snr)?, x.view(), test.labels(), 1)?;
    println!(
        "Gaussian engine: {noisy:.4} on 10,000 images in {:.2}s (noise-free {clean:.4})",
        start.elapsed().as_secs_f64()
    );

    let idx: Vec<usize> = (0..1000).collect();
    let xs = x.select(Axis(0), &idx);
    let mode = ModeEngine::new(point.snr, point.gain, Packing::Complex)?;
    let start = std::time::Instant::now();
    let acc = net.accuracy(&mode, xs.view(), &test.labels()[..1000], 2)?;
    println!("mode-level engine: {acc:.4} on 1,000 images in {:.2}s", start.elapsed().as_secs_f64());

    // The server's excess-noise check over the first layer of those 1,000 inferences (784,000 shots).
    let (_, tally) = mode.matmul_verified(net.layers()[0].view(), xs.view(), 3)?;
    let verifier = Verifier::new(mode.measured_quadratures(784), mode.honest_excess(784), 0.0, 4.0)?;
    let verdict = verifier.verify(&tally);
    println!(
        "verification over {} shots: excess {:.4} (honest {:.4}, accept below {:.4}) -> {}",
        tally.shots(),
        verdict.estimate,
        mode.honest_excess(784),
        verdict.threshold,
        if verdict.accepted { "accept" } else { "abort" }
    );
    Ok(())
}
