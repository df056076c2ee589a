//! The `quantumacy fl train` contract: JSON fields, the plot, DP output and clear usage errors.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

mod common;

use common::{json, quantumacy};

const REFERENCE: [&str; 17] = [
    "fl",
    "train",
    "--dataset",
    "wdbc",
    "--clients",
    "3",
    "--rounds",
    "20",
    "--local-epochs",
    "5",
    "--learning-rate",
    "0.5",
    "--l2",
    "1e-3",
    "--partition",
    "iid",
    "--json",
];

#[test]
fn wdbc_reference_run_reports_the_contract_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("curve.svg");
    let mut args = REFERENCE.to_vec();
    args.extend(["--split-seed", "42", "--plot", svg.to_str().unwrap()]);
    let v = json(&quantumacy(&args));
    let rounds = v["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 20);
    for (i, r) in rounds.iter().enumerate() {
        assert_eq!(r["round"], i + 1);
        for key in ["test_accuracy", "test_loss", "elapsed_ms"] {
            assert!(r[key].as_f64().unwrap().is_finite(), "{key}");
        }
    }
    assert!(v["final_test_accuracy"].as_f64().unwrap() >= 0.97);
    assert!(v["final_test_auc"].as_f64().unwrap() > 0.98);
    assert!(v["ms_per_round"].as_f64().unwrap() > 0.0);
    assert!(v.get("epsilon").is_none(), "no ε without DP");
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("test accuracy") && plot.contains("test log-loss"));
}

#[test]
fn dp_run_reports_epsilon_and_budget_refusal_exits_1() {
    let mut args = REFERENCE.to_vec();
    args[7] = "5"; // --rounds
    args.extend(["--dp", "clip=1.0,noise=1.1,delta=1e-5"]);
    let v = json(&quantumacy(&args));
    let eps = v["epsilon"].as_f64().unwrap();
    assert!(eps > 0.0 && eps.is_finite());
    assert_eq!(v["rounds"][4]["epsilon"].as_f64().unwrap(), eps);

    let mut args = REFERENCE.to_vec();
    args.extend(["--dp", "clip=1.0,noise=1.1,delta=1e-5,budget=5"]);
    let out = quantumacy(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("privacy budget exhausted"), "{err}");
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let cases: [(&[&str], &str); 6] = [
        (&["--dataset", "cifar10"], "unknown dataset \"cifar10\""),
        (&["--dataset", "wdbc", "--clients", "0"], "no clients"),
        (&["--dataset", "wdbc", "--partition", "dirichlet=-1"], "invalid partition"),
        (&["--dataset", "wdbc", "--partition", "by-subject"], "by-subject needs group ids"),
        (&["--dataset", "wdbc", "--dp", "clip=1.0,noise=1.1"], "--dp needs delta"),
        (&["--dataset", "wdbc", "--algorithm", "fedsgd"], "invalid algorithm"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["fl", "train", "--rounds", "2"];
        args.extend_from_slice(extra);
        let out = quantumacy(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(message), "{extra:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn parkinsons_by_subject_trains() {
    let v = json(&quantumacy(&[
        "fl",
        "train",
        "--dataset",
        "parkinsons",
        "--clients",
        "3",
        "--partition",
        "by-subject",
        "--json",
    ]));
    assert!(v["final_test_accuracy"].as_f64().unwrap() > 0.5);
    assert_eq!(v["hospital_sizes"].as_array().unwrap().len(), 3);
}
