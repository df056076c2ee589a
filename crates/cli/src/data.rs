//! `quantumacy data`: list the bundled datasets, verify their checksums.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Subcommand;
use quantumacy_data::{DataDir, DatasetId, ImageSet, mnist, parkinsons, pneumonia, wdbc};
use serde::Serialize;

use crate::GlobalArgs;
use crate::output::{Failure, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum DataCommand {
    /// Load every bundled dataset and show its splits, shapes and class counts.
    List,
    /// Check the SHA-256 of every bundled file against the catalogue.
    Verify,
}

pub(crate) fn run(cmd: DataCommand, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    let dir = global.data_dir()?;
    match cmd {
        DataCommand::List => list(&dir, out),
        DataCommand::Verify => verify(&dir, out),
    }
}

#[derive(Serialize)]
struct VerifyReport {
    data_dir: String,
    ok: bool,
    files: Vec<FileReport>,
}

#[derive(Serialize)]
struct FileReport {
    dataset: DatasetId,
    file: &'static str,
    path: String,
    bytes: Option<u64>,
    sha256: Option<String>,
    expected_sha256: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn verify(dir: &DataDir, out: &Output) -> Result<(), Failure> {
    let bar = out.progress(quantumacy_data::BUNDLED.len() as u64, "verifying");
    let checks = dir.verify_all();
    bar.finish_and_clear();
    let files: Vec<FileReport> = checks
        .iter()
        .map(|c| FileReport {
            dataset: c.file.dataset,
            file: c.file.path,
            path: c.path.display().to_string(),
            bytes: c.bytes,
            sha256: c.sha256.clone(),
            expected_sha256: c.file.sha256,
            ok: c.ok(),
            error: c.result.as_ref().err().map(ToString::to_string),
        })
        .collect();
    let bad: Vec<&FileReport> = files.iter().filter(|f| !f.ok).collect();
    let n_bad = bad.len();
    let failure = match bad.as_slice() {
        [] => None,
        [one] => Some(anyhow!("{}", one.error.as_deref().unwrap_or(one.file))),
        [first, rest @ ..] => Some(anyhow!(
            "{n_bad} bundled files failed verification: {} and {} more",
            first.error.as_deref().unwrap_or(first.file),
            rest.len()
        )),
    };
    let report = VerifyReport { data_dir: dir.path().display().to_string(), ok: n_bad == 0, files };
    out.emit(&report, |r| {
        let mut s = format!("data directory: {}\n", r.data_dir);
        for f in &r.files {
            let verdict = if f.ok { "ok" } else { "FAILED" };
            let _ = writeln!(s, "  {verdict:<6} {:<45} {}", f.file, f.sha256.as_deref().unwrap_or("-"));
        }
        let _ = write!(s, "{} of {} files verified", r.files.len() - n_bad, r.files.len());
        s
    })?;
    failure.map_or(Ok(()), |e| Err(Failure::Failed(e)))
}

#[derive(Serialize)]
struct ListReport {
    data_dir: String,
    datasets: Vec<DatasetReport>,
}

#[derive(Serialize)]
struct DatasetReport {
    name: DatasetId,
    licence: &'static str,
    citation: &'static str,
    files: Vec<&'static str>,
    splits: Vec<SplitReport>,
}

#[derive(Serialize)]
struct SplitReport {
    split: &'static str,
    rows: usize,
    features: usize,
    class_counts: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<usize>,
}

impl SplitReport {
    fn from_dataset(split: &'static str, d: &quantumacy_data::Dataset) -> Self {
        let groups = d.groups().map(|g| g.iter().collect::<std::collections::BTreeSet<_>>().len());
        SplitReport {
            split,
            rows: d.len(),
            features: d.n_features(),
            class_counts: d.class_names().iter().cloned().zip(d.class_counts()).collect(),
            groups,
        }
    }

    fn from_images(split: &'static str, s: &ImageSet) -> Self {
        let (r, c) = s.image_dim();
        SplitReport {
            split,
            rows: s.len(),
            features: r * c,
            class_counts: s.class_names().iter().cloned().zip(s.class_counts()).collect(),
            groups: None,
        }
    }
}

fn list(dir: &DataDir, out: &Output) -> Result<(), Failure> {
    let bar = out.progress(DatasetId::ALL.len() as u64, "loading");
    let mut datasets = Vec::new();
    for id in DatasetId::ALL {
        let splits = match id {
            DatasetId::Wdbc => {
                vec![SplitReport::from_dataset("all", &wdbc::load(dir).map_err(Failure::failed)?)]
            }
            DatasetId::Parkinsons => {
                vec![SplitReport::from_dataset("all", &parkinsons::load(dir).map_err(Failure::failed)?)]
            }
            DatasetId::PneumoniaMnist => {
                let p = pneumonia::load(dir).map_err(Failure::failed)?;
                vec![
                    SplitReport::from_images("train", &p.train),
                    SplitReport::from_images("val", &p.val),
                    SplitReport::from_images("test", &p.test),
                ]
            }
            DatasetId::Mnist => {
                let m = mnist::load(dir).map_err(Failure::failed)?;
                vec![SplitReport::from_images("train", &m.train), SplitReport::from_images("test", &m.test)]
            }
        };
        datasets.push(DatasetReport {
            name: id,
            licence: id.licence(),
            citation: id.citation(),
            files: id.files().map(|f| f.path).collect(),
            splits,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = ListReport { data_dir: dir.path().display().to_string(), datasets };
    out.emit(&report, |r| {
        let mut s = format!("data directory: {}\n", r.data_dir);
        for d in &r.datasets {
            let _ = writeln!(s, "\n{} ({}) — {}", d.name, d.licence, d.citation);
            for sp in &d.splits {
                let classes: Vec<String> = sp.class_counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                let groups = sp.groups.map(|g| format!(", {g} subjects")).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  {:<6} {:>6} × {:<4} {}{}",
                    sp.split,
                    sp.rows,
                    sp.features,
                    classes.join(", "),
                    groups
                );
            }
        }
        s
    })
}
