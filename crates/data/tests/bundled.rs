//! Every bundled dataset loads with the shapes and class counts documented in `data/*/PROVENANCE.md`, and a
//! damaged copy is refused with an error naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::collections::BTreeSet;
use std::path::Path;

use quantumacy_data::{
    BUNDLED, DataDir, DatasetId, Error, group_split, mnist, parkinsons, pneumonia, stratified_split, wdbc,
};

fn dir() -> DataDir {
    DataDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")).unwrap()
}

/// A writable copy of the data directory, so tests can damage files.
fn copy_of_data() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    for f in BUNDLED {
        let to = tmp.path().join(f.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(dir().file_path(f), &to).unwrap();
    }
    let d = DataDir::new(tmp.path()).unwrap();
    (tmp, d)
}

#[test]
fn every_bundled_file_verifies() {
    let checks = dir().verify_all();
    assert_eq!(checks.len(), BUNDLED.len());
    for c in &checks {
        assert!(c.ok(), "{}: {:?}", c.file.path, c.result);
        assert_eq!(c.sha256.as_deref(), Some(c.file.sha256));
        assert_eq!(c.bytes, Some(c.file.bytes));
    }
    for id in DatasetId::ALL {
        assert!(id.files().count() >= 1, "{id} has files");
        assert_eq!(id.name().parse::<DatasetId>().unwrap(), id);
    }
    assert!(matches!("cifar".parse::<DatasetId>(), Err(Error::UnknownDataset { .. })));
}

#[test]
fn wdbc_shape_and_classes() {
    let d = wdbc::load(&dir()).unwrap();
    assert_eq!((d.len(), d.n_features()), (569, 30));
    assert_eq!(d.class_counts(), vec![357, 212]);
    // First row of the UCI file: 842302,M,17.99,10.38,...
    assert_eq!(d.labels()[0], 1);
    assert_eq!(d.features()[[0, 0]], 17.99);
}

#[test]
fn parkinsons_shape_classes_and_subjects() {
    let d = parkinsons::load(&dir()).unwrap();
    assert_eq!((d.len(), d.n_features()), (195, 22));
    assert_eq!(d.class_counts(), vec![48, 147]);
    let groups = d.groups().unwrap();
    let subjects: BTreeSet<u32> = groups.iter().copied().collect();
    assert_eq!(subjects.len(), 32);
    let pd_subjects: BTreeSet<u32> =
        groups.iter().zip(d.labels()).filter(|(_, l)| **l == 1).map(|(g, _)| *g).collect();
    assert_eq!(pd_subjects.len(), 24);
    assert_eq!(d.feature_names()[0], "MDVP:Fo(Hz)");
    assert_eq!(d.feature_names()[21], "PPE");
}

#[test]
fn parkinsons_group_split_keeps_subjects_apart_over_seeds() {
    let d = parkinsons::load(&dir()).unwrap();
    let groups = d.groups().unwrap();
    for seed in quantumacy_testkit::seeds("parkinsons-group-split", 20) {
        let s = group_split(groups, d.labels(), 0.2, seed).unwrap();
        let train: BTreeSet<u32> = s.train.iter().map(|&i| groups[i]).collect();
        let test: BTreeSet<u32> = s.test.iter().map(|&i| groups[i]).collect();
        assert!(train.is_disjoint(&test));
        assert_eq!(test.len(), 7, "ceil(0.2 · 32) subjects");
        assert_eq!(s.train.len() + s.test.len(), 195);
    }
}

#[test]
fn wdbc_stratified_split_is_the_reference_setup() {
    let d = wdbc::load(&dir()).unwrap();
    let s = stratified_split(d.labels(), 0.2, 42).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (455, 114));
    let test = d.select(&s.test).unwrap();
    assert_eq!(test.class_counts(), vec![72, 42]);
}

#[test]
fn pneumoniamnist_splits_and_balance() {
    let p = pneumonia::load(&dir()).unwrap();
    for (set, n) in [(&p.train, 2428), (&p.val, 270), (&p.test, 468)] {
        assert_eq!(set.len(), n);
        assert_eq!(set.image_dim(), (28, 28));
        assert_eq!(set.class_counts(), vec![n / 2, n / 2]);
    }
    assert_eq!(*p.test.images().iter().max().unwrap(), 254);
    assert_eq!(p.test.to_dataset().n_features(), 784);
}

#[test]
fn mnist_splits_and_class_counts() {
    let m = mnist::load(&dir()).unwrap();
    assert_eq!(m.test.len(), 10_000);
    assert_eq!(m.train.len(), 22_699);
    assert_eq!(m.test.image_dim(), (28, 28));
    assert_eq!(m.test.class_counts(), vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(m.train.class_counts(), vec![2258, 2581, 2215, 2369, 2222, 2010, 2235, 2356, 2163, 2290]);
    assert_eq!(&m.train.labels()[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
}

#[test]
fn a_corrupted_copy_is_refused_naming_the_file() {
    let (_tmp, d) = copy_of_data();
    let path = d.path().join("wdbc/wdbc.data");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    match wdbc::load(&d) {
        Err(e @ Error::Checksum { .. }) => assert!(e.to_string().contains("wdbc.data"), "{e}"),
        other => panic!("expected a checksum error, got {other:?}"),
    }
    let bad: Vec<_> = d.verify_all().into_iter().filter(|c| !c.ok()).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].file.path, "wdbc/wdbc.data");
    // The other datasets are unaffected.
    parkinsons::load(&d).unwrap();
}

#[test]
fn truncated_extended_and_missing_files_are_refused() {
    let (_tmp, d) = copy_of_data();
    let images = d.path().join("mnist/t10k-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(mnist::load_test(&d), Err(Error::Checksum { .. })));

    let npz = d.path().join("pneumoniamnist/pneumoniamnist.npz");
    let mut longer = std::fs::read(&npz).unwrap();
    longer.extend_from_slice(&[0; 16]);
    std::fs::write(&npz, &longer).unwrap();
    assert!(matches!(pneumonia::load(&d), Err(Error::Checksum { .. })));

    std::fs::remove_file(d.path().join("parkinsons/parkinsons.data")).unwrap();
    match parkinsons::load(&d) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("parkinsons.data"), "{e}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert_eq!(d.verify_all().iter().filter(|c| !c.ok()).count(), 3);
}

#[test]
fn error_messages_are_pinned() {
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Truncated { what: "t10k images".into(), expected: 7_840_016, found: 100 },
            "t10k images is truncated: expected 7840016 bytes, found 100",
        ),
        (
            Error::BadMagic { what: "x".into(), expected: 0x803, found: 0x801 },
            "x has bad magic number 0x00000801 (expected 0x00000803)",
        ),
        (Error::Shape { what: "x".into(), detail: "d".into() }, "x has an inconsistent shape: d"),
        (Error::Parse { what: "f".into(), line: 3, detail: "d".into() }, "f, line 3: d"),
        (Error::InvalidSplit { detail: "d".into() }, "invalid split: d"),
    ];
    for (e, s) in cases {
        assert_eq!(e.to_string(), s);
    }
    assert!(matches!(DataDir::new("/nonexistent/quantumacy"), Err(Error::DataDirNotFound { .. })));
}
