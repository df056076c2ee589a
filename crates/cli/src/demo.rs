//! `quantumacy demo`: the end-to-end pipeline on the bundled data ([`quantumacy::demo`]): QKD keys, a sealed
//! health record, federated learning with sealed updates, CKKS-encrypted inference and optical MPC.

use std::fmt::Write as _;

use clap::Args;
use indicatif::ProgressBar;
use quantumacy::demo::{self, DemoConfig, DemoReport, Progress, Stage};

use crate::GlobalArgs;
use crate::output::{Failure, Output};

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Seed of every random choice (the run is reproducible for a seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Smaller workloads (2×10⁸ pulses per link, 10 rounds, 1,000 images): a few seconds.
    #[arg(long)]
    quick: bool,
}

/// One indicatif bar per stage.
struct Bars<'a> {
    out: &'a Output,
    bar: Option<ProgressBar>,
}

impl Progress for Bars<'_> {
    fn begin(&mut self, stage: Stage, steps: u64) {
        self.bar = Some(self.out.progress(steps, stage.title()));
    }

    fn advance(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

pub(crate) fn run(args: &DemoArgs, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    let dir = global.data_dir()?;
    let config = DemoConfig { seed: args.seed, quick: args.quick };
    let mut bars = Bars { out, bar: None };
    let report = demo::run(&dir, &config, &mut bars).map_err(Failure::failed)?;
    out.emit(&report, human)
}

fn human(r: &DemoReport) -> String {
    let mut s = String::new();
    let k = &r.keys;
    let _ = writeln!(
        s,
        "1. QKD keys — decoy BB84 (vacuum + weak), {} km, {:.0e} pulses per link, Cascade + Toeplitz, finite key",
        k.distance_km, k.pulses as f64
    );
    let _ = writeln!(
        s,
        "   hospital    μ     QBER     Y1≥       e1≤      f     final bits  equal  rate/pulse  keys"
    );
    for l in &k.links {
        let _ = writeln!(
            s,
            "   {:>8}  {:.3}  {:.2}%  {:.2e}  {:.4}  {:.3}  {:>10}  {:>5}  {:.3e}  {:>4}",
            l.hospital,
            l.mu,
            100.0 * l.qber,
            l.y1_lower,
            l.e1_upper,
            l.cascade_efficiency,
            l.final_key_bits,
            l.keys_equal,
            l.secret_key_rate_per_pulse,
            l.keys_256
        );
    }

    let rec = &r.record;
    let _ = writeln!(
        s,
        "\n2. Sealed health record — WDBC test patient {} → aggregator (HPKE ML-KEM-768 + QKD PSK, ML-DSA-65)",
        rec.record
    );
    let _ = writeln!(
        s,
        "   {} B record → {} B sealed under QKD key {}; seal {:.2} ms, open {:.2} ms; delivered intact: {}",
        rec.plaintext_bytes, rec.sealed_bytes, rec.qkd_key_id, rec.seal_ms, rec.open_ms, rec.delivered_intact
    );
    let _ = writeln!(s, "   tampered copy rejected: {} ({})", rec.tampered_rejected, rec.tampered_reason);
    let _ = writeln!(s, "   replayed copy rejected: {} ({})", rec.replay_rejected, rec.replay_reason);
    let _ = writeln!(s, "   the sender is told only: \"{}\"", rec.peer_sees);

    let _ = writeln!(s, "\n3. Federated learning — 3 hospitals, every update sealed under a fresh QKD key");
    for f in &r.federated {
        let _ = writeln!(
            s,
            "   {}: {}, hospitals {:?}, {} test rows; {} sealed updates of {:.0} B, {:.2} ms seal+open each",
            f.dataset,
            f.partition,
            f.hospital_sizes,
            f.test_examples,
            f.sealed_updates,
            f.mean_sealed_bytes,
            f.seal_open_ms_per_update
        );
    }
    let _ = write!(s, "   round");
    for f in &r.federated {
        let _ = write!(s, "  {:>10} acc  loss  ", f.dataset.to_string());
    }
    let _ = writeln!(s);
    let rounds = r.federated.iter().map(|f| f.rounds.len()).max().unwrap_or(0);
    for i in 0..rounds {
        let _ = write!(s, "   {:>5}", i + 1);
        for f in &r.federated {
            match f.rounds.get(i) {
                Some(row) => {
                    let _ = write!(s, "      {:.4}  {:.4}  ", row.test_accuracy, row.test_loss);
                }
                None => s.push_str(&" ".repeat(22)),
            }
        }
        let _ = writeln!(s);
    }
    for f in &r.federated {
        let _ = writeln!(
            s,
            "   {} final: accuracy {:.4}, AUC {}",
            f.dataset,
            f.final_test_accuracy,
            f.final_test_auc.map_or("n/a".to_owned(), |a| format!("{a:.4}"))
        );
        for round in &f.rounds {
            for reason in &round.rejected {
                let _ = writeln!(s, "   {} round {} rejected: {reason}", f.dataset, round.round);
            }
        }
    }

    let e = &r.encrypted;
    let _ = writeln!(
        s,
        "\n4. Encrypted inference — federated WDBC model on {} CKKS-encrypted test patients ({}, d = {})",
        e.patients, e.ckks_preset, e.features
    );
    let _ = writeln!(
        s,
        "   accuracy: plaintext {:.4}, plaintext cubic {:.4}, encrypted {:.4}; labels identical: {}",
        e.plaintext_accuracy, e.plaintext_poly_accuracy, e.encrypted_accuracy, e.labels_identical
    );
    let _ = writeln!(
        s,
        "   sigmoid: least-squares cubic on [−{:.0}, {:.0}] (training logits' range): 0.5 + {:.4}·y − {:.6}·y³",
        e.sigmoid_radius, e.sigmoid_radius, e.sigmoid[1], -e.sigmoid[3]
    );
    let _ = writeln!(
        s,
        "   max |Δp| vs plaintext cubic: batched {:.1e}, single {:.1e}; labels as exact sigmoid {}/{}",
        e.max_abs_dp_batched, e.max_abs_dp_single, e.labels_as_exact_sigmoid, e.patients
    );
    let _ = writeln!(
        s,
        "   sent: evaluation keys {:.1} MB, {} seeded column ciphertexts {:.2} MB ({:.0} B per patient), reply {:.0} kB; single vector {:.0} kB",
        e.evaluation_key_bytes as f64 / 1e6,
        e.features,
        e.batch_upload_bytes as f64 / 1e6,
        e.batch_upload_bytes as f64 / e.patients as f64,
        e.batch_result_bytes as f64 / 1e3,
        e.single_upload_bytes as f64 / 1e3
    );
    let _ = writeln!(
        s,
        "   per patient: batched eval {:.3} ms (enc+eval+dec {:.3} ms); single vector {:.1} ms e2e ({} patients)",
        e.batch_eval_ms_per_patient, e.batch_e2e_ms_per_patient, e.single_e2e_ms, e.single_patients
    );

    let o = &r.optical;
    let _ = writeln!(
        s,
        "\n5. Optical MPC — {} MNIST test images, μ = {:.2}, G = {:.3}, F = {:.3}",
        o.images, o.mu, o.gain, o.snr
    );
    let _ = writeln!(
        s,
        "   accuracy {:.4} (noise-free {:.4}); leaked {:.4} bit per weight symbol, {:.4} per data symbol",
        o.accuracy, o.noise_free_accuracy, o.weight_leakage_bits, o.data_leakage_bits
    );

    let stages: Vec<String> =
        r.stage_seconds.iter().map(|(stage, t)| format!("{} {t:.1} s", stage.title())).collect();
    let _ = write!(s, "\ntotal {:.1} s ({})", r.total_seconds, stages.join(", "));
    s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}
