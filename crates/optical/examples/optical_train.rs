//! Trains the paper's networks noise-free on the 22,699-image MNIST training prefix and saves them.
//!
//! `cargo run --release -p quantumacy-optical --example optical_train -- [mlp|linear] EPOCHS SEED OUT`

use std::path::PathBuf;
use std::time::Instant;

use quantumacy_data::{DataDir, mnist};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::{Network, TrainConfig};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arch = args.first().map_or("mlp", String::as_str);
    let epochs: usize = args.get(1).map_or(Ok(20), |s| s.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(2024), |s| s.parse())?;
    let out = PathBuf::from(args.get(3).map_or("optical-mlp.qnet", String::as_str));
    let sizes: &[usize] = if arch == "linear" { &[784, 10] } else { &[784, 784, 10] };
    let dir = DataDir::locate()?;
    let data = mnist::load(&dir)?;
    let (xtr, xte) = (mnist_inputs(data.train.images())?, mnist_inputs(data.test.images())?);
    let mut net = Network::random(sizes, seed)?;
    let start = Instant::now();
    let config = TrainConfig { epochs, seed, ..TrainConfig::default() };
    let labels = data.test.labels();
    net.train_with(xtr.view(), data.train.labels(), &config, |epoch, loss, net| {
        let acc = net.accuracy_clean(xte.view(), labels).unwrap_or(f64::NAN);
        println!(
            "epoch {:>3}  loss {loss:.5}  t10k {acc:.4}  {:.1}s",
            epoch + 1,
            start.elapsed().as_secs_f64()
        );
    })?;
    net.save(&out)?;
    println!("saved {}", out.display());
    Ok(())
}
