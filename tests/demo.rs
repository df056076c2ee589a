//! The end-to-end pipeline in quick mode: every stage's key figures (issue #10's acceptance).

#![cfg(feature = "demo")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use quantumacy::data::DataDir;
use quantumacy::demo::{self, DemoConfig, DemoError, Progress, Silent, Stage};

/// Counts the progress events, to check every stage reports what it announced.
#[derive(Default)]
struct Tally {
    stages: Vec<(Stage, u64, u64)>,
}

impl Progress for Tally {
    fn begin(&mut self, stage: Stage, steps: u64) {
        self.stages.push((stage, steps, 0));
    }
    fn advance(&mut self) {
        self.stages.last_mut().unwrap().2 += 1;
    }
    fn end(&mut self) {}
}

#[test]
fn quick_demo_meets_every_stage_figure() {
    let dir = DataDir::locate().unwrap();
    let mut tally = Tally::default();
    let r = demo::run(&dir, &DemoConfig { seed: 1, quick: true }, &mut tally).unwrap();

    // 1. Keys: identical on both ends of every link, positive finite key, Cascade near the Shannon limit.
    assert_eq!(r.keys.links.len(), demo::HOSPITALS);
    for l in &r.keys.links {
        assert!(l.keys_equal && l.final_key_bits > 0, "{l:?}");
        assert!(l.qber > 0.01 && l.qber < 0.06, "{l:?}");
        assert!(l.y1_lower > 0.0 && l.e1_upper < 0.11, "{l:?}");
        assert!(l.cascade_efficiency > 1.0 && l.cascade_efficiency < 1.1, "{l:?}");
        // The store holds the key left after repaying the authentication pool.
        assert_eq!(l.keys_256, l.net_key_bits as usize / 256);
        assert!(l.net_key_bits < l.final_key_bits);
    }

    // 2. The record arrives intact; tampered and replayed copies are refused, the peer learns nothing more.
    let rec = &r.record;
    assert!(rec.delivered_intact && rec.tampered_rejected && rec.replay_rejected);
    assert!(rec.tampered_reason.contains("verification"), "{}", rec.tampered_reason);
    assert!(rec.replay_reason.contains("replay"), "{}", rec.replay_reason);
    assert_eq!(rec.peer_sees, "message rejected");
    assert!(rec.sealed_bytes > rec.plaintext_bytes + 1088 + 3309);

    // 3. Federated learning with sealed updates: WDBC ≥ 0.95; every update sealed and accepted.
    let [wdbc, parkinsons] = &r.federated[..] else { panic!("two datasets") };
    assert!(wdbc.final_test_accuracy >= 0.95, "{}", wdbc.final_test_accuracy);
    assert!(parkinsons.final_test_accuracy >= 0.6, "{}", parkinsons.final_test_accuracy);
    for f in &r.federated {
        assert_eq!(f.rounds.len(), 10);
        assert_eq!(f.sealed_updates, 10 * demo::HOSPITALS);
        assert!(f.rounds.iter().all(|round| round.clients == demo::HOSPITALS && round.rejected.is_empty()));
    }

    // 4. Encrypted inference: same labels as the plaintext polynomial, |Δp| ≤ 1e-3, accuracy as plaintext.
    let e = &r.encrypted;
    assert!(e.labels_identical);
    assert!(e.max_abs_dp_batched <= demo::MAX_ABS_DP && e.max_abs_dp_single <= demo::MAX_ABS_DP);
    assert_eq!(e.patients, wdbc.test_examples);
    assert!((e.encrypted_accuracy - e.plaintext_accuracy).abs() < 0.02, "{e:?}");
    assert!(e.labels_as_exact_sigmoid as f64 >= 0.98 * e.patients as f64, "{e:?}");

    // 5. Optical: ≥ 90 % at the operating point, within the leakage budget.
    let o = &r.optical;
    assert_eq!(o.images, 1000);
    assert!(o.accuracy >= 0.90, "{}", o.accuracy);
    assert!(o.weight_leakage_bits <= 0.1 + 1e-9 && o.data_leakage_bits < 0.01, "{o:?}");

    // Every stage ran, announced its steps and took them.
    let order: Vec<Stage> = tally.stages.iter().map(|s| s.0).collect();
    assert_eq!(order, [Stage::Keys, Stage::Record, Stage::Federated, Stage::Encrypted, Stage::Optical]);
    for (stage, steps, done) in &tally.stages {
        assert_eq!(steps, done, "{stage:?}");
    }
    assert_eq!(r.stage_seconds.len(), 5);
}

#[test]
fn a_missing_data_directory_is_a_typed_error() {
    let empty = tempfile::tempdir().unwrap();
    let dir = DataDir::new(empty.path()).unwrap();
    let err = demo::run(&dir, &DemoConfig { seed: 1, quick: true }, &mut Silent).unwrap_err();
    assert!(matches!(err, DemoError::Fl(quantumacy::fl::Error::Data(_))), "{err}");
    assert!(err.to_string().contains("wdbc.data"), "{err}");
}
