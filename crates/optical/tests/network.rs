//! The MNIST networks: the versioned weight format, a short training run, and the bundled MLP's accuracy
//! against the thresholds and the paper's published curve (Sulimany et al., Fig. 3).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::sync::OnceLock;

use ndarray::{Array2, Axis};
use quantumacy_data::{DataDir, mnist};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::sweep::{Budget, accuracy_vs_snr, operating_point};
use quantumacy_optical::{
    Engine, Error, GaussianEngine, ModeEngine, Network, Packing, TrainConfig, pretrained,
};

struct Data {
    dir: DataDir,
    test_x: Array2<f32>,
    test_y: Vec<u8>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = DataDir::locate().unwrap();
        let test = mnist::load_test(&dir).unwrap();
        Data { test_x: mnist_inputs(test.images()).unwrap(), test_y: test.labels().to_vec(), dir }
    })
}

fn mlp() -> &'static Network {
    static NET: OnceLock<Network> = OnceLock::new();
    NET.get_or_init(|| pretrained::mlp(&data().dir).unwrap())
}

#[test]
fn weight_format_round_trips_and_rejects_tampering() {
    let net = Network::random(&[6, 5, 3], 1).unwrap();
    let bytes = net.to_bytes().unwrap();
    assert_eq!(Network::from_bytes(&bytes, Some(&[6, 5, 3])).unwrap(), net);
    assert!(matches!(Network::from_bytes(&bytes, Some(&[6, 4, 3])), Err(Error::Format { .. })));
    assert!(matches!(Network::from_bytes(&bytes[..bytes.len() - 3], None), Err(Error::Format { .. })));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(Network::from_bytes(&longer, None), Err(Error::Format { .. })));
    // Version byte is first (postcard varint of 1).
    let mut version = bytes.clone();
    version[0] = 2;
    assert!(Network::from_bytes(&version, None).unwrap_err().to_string().contains("format version 2"));
    // A flipped fingerprint byte (after version, type-name length and name).
    let mut fp = bytes.clone();
    let at = 2 + quantumacy_optical::format::TYPE_NAME.len();
    fp[at] ^= 1;
    assert!(Network::from_bytes(&fp, None).unwrap_err().to_string().contains("fingerprint"));
    assert!(Network::from_bytes(&vec![0; quantumacy_optical::format::MAX_BYTES + 1], None).is_err());
    assert!(Network::from_bytes(&[], None).is_err());
}

#[test]
fn bundled_models_load_and_a_corrupted_copy_is_rejected() {
    let net = mlp();
    assert_eq!(net.sizes(), vec![784, 784, 10]);
    assert_eq!(pretrained::linear(&data().dir).unwrap().sizes(), vec![784, 10]);
    let tmp = std::env::temp_dir().join(format!("quantumacy-optical-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("optical")).unwrap();
    let mut bytes = std::fs::read(data().dir.path().join(pretrained::MLP_PATH)).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(tmp.join(pretrained::MLP_PATH), bytes).unwrap();
    let err = pretrained::mlp(&DataDir::new(&tmp).unwrap()).unwrap_err();
    assert!(err.to_string().contains("sha256"), "{err}");
    std::fs::remove_dir_all(tmp).unwrap();
}

#[test]
fn short_training_run_learns() {
    let dir = &data().dir;
    let train = mnist::load_train(dir).unwrap();
    let x = mnist_inputs(train.images()).unwrap();
    let idx: Vec<usize> = (0..6400).collect();
    let (xs, ys) = (x.select(Axis(0), &idx), &train.labels()[..6400]);
    let mut net = Network::random(&[784, 784, 10], 5).unwrap();
    let config = TrainConfig { epochs: 3, max_steps: Some(300), ema_decay: None, ..TrainConfig::default() };
    let losses = net.train(xs.view(), ys, &config).unwrap();
    assert!(losses.last().unwrap() < &losses[0]);
    let idx: Vec<usize> = (0..2000).collect();
    let acc = net.accuracy_clean(data().test_x.select(Axis(0), &idx).view(), &data().test_y[..2000]).unwrap();
    assert!(acc > 0.85, "accuracy after 300 steps {acc}");
    // Bad training inputs.
    assert!(matches!(net.train(xs.view(), &ys[..10], &config), Err(Error::Dimension { .. })));
    let mut bad = ys.to_vec();
    bad[3] = 10;
    assert!(matches!(net.train(xs.view(), &bad, &config), Err(Error::Dimension { .. })));
    assert!(Network::random(&[784], 0).is_err());
}

#[test]
fn bundled_mlp_meets_the_accuracy_thresholds() {
    let (net, d) = (mlp(), data());
    let clean = net.accuracy_clean(d.test_x.view(), &d.test_y).unwrap();
    assert!(clean >= 0.97, "noise-free {clean}");
    let curve = accuracy_vs_snr(net, d.test_x.view(), &d.test_y, &[0.01, 1.0, 3.0, 100.0], 1, 3).unwrap();
    let acc: Vec<f64> = curve.iter().map(|p| p.accuracy).collect();
    println!("noise-free {clean:.4}; F = 0.01, 1, 3, 100: {acc:?}");
    assert!(acc[0] <= 0.15, "F = 0.01: {}", acc[0]);
    assert!(acc[1] >= 0.85, "F = 1: {}", acc[1]);
    assert!(acc[2] >= 0.94, "F = 3: {}", acc[2]);
    assert!(clean - acc[3] <= 0.015, "F = 100: {}", acc[3]);
    // Operating point: ≥ 95 % with I_w < 0.1 and I_x < 0.01 (arXiv v1, authors' mapping).
    let point = operating_point(&Budget::default()).unwrap();
    assert!(point.weight_leakage_bits < 0.1 && point.data_leakage_bits < 0.01);
    let at = accuracy_vs_snr(net, d.test_x.view(), &d.test_y, &[point.snr], 3, 4).unwrap()[0].accuracy;
    println!("operating point {point:?}: accuracy {at:.4}");
    assert!(at >= 0.95, "operating point accuracy {at}");
}

#[test]
fn gaussian_and_mode_engines_give_the_same_accuracy() {
    // 1,500 test images at F = 1 (the steep part of the curve): each accuracy's noise-induced spread is
    // ≈ 0.2 pp here, so 1 pp is ≈ 3.5σ of the difference.
    let (net, d) = (mlp(), data());
    let idx: Vec<usize> = (0..1500).collect();
    let x = d.test_x.select(Axis(0), &idx);
    let y = &d.test_y[..1500];
    let gauss = GaussianEngine::new(1.0).unwrap();
    let mode = ModeEngine::new(1.0, 1.43, Packing::Complex).unwrap();
    let a = net.accuracy(&gauss, x.view(), y, 1).unwrap();
    let b = net.accuracy(&mode, x.view(), y, 2).unwrap();
    println!("Gaussian {a:.4}, mode-level {b:.4}");
    assert!((a - b).abs() <= 0.01, "Gaussian {a} vs mode {b}");
    assert_eq!(mode.snr(), gauss.snr());
}

#[test]
fn network_bad_inputs_are_typed_errors() {
    let net = Network::random(&[4, 3, 2], 0).unwrap();
    let e = GaussianEngine::new(1.0).unwrap();
    assert!(matches!(net.logits(&e, Array2::<f32>::ones((2, 5)).view(), 0), Err(Error::Dimension { .. })));
    assert!(matches!(net.logits(&e, Array2::<f32>::ones((0, 4)).view(), 0), Err(Error::Empty { .. })));
    let mut nan = Array2::<f32>::ones((2, 4));
    nan[[0, 0]] = f32::NAN;
    assert!(matches!(net.logits(&e, nan.view(), 0), Err(Error::NonFinite { .. })));
    assert!(matches!(
        net.accuracy(&e, Array2::<f32>::ones((2, 4)).view(), &[1], 0),
        Err(Error::Dimension { .. })
    ));
    assert!(matches!(
        Network::from_layers(vec![Array2::ones((3, 4)), Array2::ones((2, 2))]),
        Err(Error::Dimension { .. })
    ));
}
