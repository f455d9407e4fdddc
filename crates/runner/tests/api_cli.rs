//! The library API and the command line compute the same run: `overparam train` and
//! `overparam ntk` write exactly what `overparam_api::train` and `overparam_api::ntk` return
//! for the same config (flex, f64).

mod common;

use std::path::{Path, PathBuf};

use common::overparam;
use overparam_api::{
    ntk, train, BackendKind, Compute, DTypeKind, EngineChoice, Experiment, NtkMethods, NtkRequest,
    TrainOptions,
};
use overparam_trainer::read_npz_arrays;

const FLEX_F64: Compute = Compute {
    backend: BackendKind::Flex,
    dtype: DTypeKind::F64,
};

const SETS: [&str; 6] = [
    "model.width=16",
    "data.n=12",
    "data.d=3",
    "train.steps=40",
    "train.log_every=5",
    "train.ntk_every=20",
];

fn quickstart() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/quickstart.toml"
    ))
}

/// `overparam SUBCOMMAND --config quickstart SETS… --dtype f64 --out OUT`, which must succeed.
fn cli(subcommand: &str, out: &Path) {
    let config = quickstart();
    let out_arg = out.to_str().unwrap();
    let mut args = vec![subcommand, "--config", config.to_str().unwrap()];
    for set in SETS {
        args.extend(["--set", set]);
    }
    args.extend(["--dtype", "f64", "--out", out_arg]);
    let output = overparam(&args);
    assert!(output.status.success(), "{}", common::stderr(&output));
}

fn experiment() -> Experiment {
    let overrides: Vec<String> = SETS.iter().map(|s| s.to_string()).collect();
    Experiment::load(&quickstart(), &overrides).unwrap()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// `value` through JSON text and back, as a written summary is read (serde_json's float
/// parse may differ from the value in the last bit, the same way for both sides).
fn as_read(value: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(&value.to_string()).unwrap()
}

#[test]
fn train_returns_what_the_cli_writes() {
    let dir = tempfile::tempdir().unwrap();
    cli("train", dir.path());
    let options = TrainOptions {
        compute: FLEX_F64,
        engine: EngineChoice::Auto,
        init: None,
        dataset: None,
    };
    let run = train(&experiment(), &options, &mut ()).unwrap();

    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    let written: Vec<&str> = csv.lines().skip(1).collect();
    let returned: Vec<String> = run.rows.iter().map(|r| r.csv_row()).collect();
    assert_eq!(written, returned);

    let names = ["w1", "b1", "a"];
    let init = read_npz_arrays(&dir.path().join("params_init.npz"), &names).unwrap();
    assert_eq!(init, run.initial_parameters);
    let last = read_npz_arrays(&dir.path().join("params_final.npz"), &names).unwrap();
    assert_eq!(Some(last), run.final_parameters);

    let written = summary(dir.path());
    let returned = as_read(&run.summary());
    for key in [
        "status",
        "steps_run",
        "final_loss",
        "reached_target",
        "engine",
        "linear_rate",
    ] {
        assert_eq!(written[key], returned[key], "{key}");
    }
}

#[test]
fn ntk_returns_the_kernel_the_cli_writes() {
    let dir = tempfile::tempdir().unwrap();
    cli("ntk", dir.path());
    let request = NtkRequest {
        compute: FLEX_F64,
        methods: NtkMethods {
            jacobian: true,
            closed: true,
            analytic: true,
        },
        skip_inapplicable: true,
        lr_weighted: false,
        inputs: None,
        given: Default::default(),
        init: None,
        block_size: 256,
        kernel: overparam_api::ntk::KernelKind::Ntk,
        ridge: None,
    };
    let run = ntk(&experiment(), &request).unwrap();
    let n = run.kernels.num_samples;
    for kernel in &run.kernels.kernels {
        let path = dir.path().join(format!("ntk_{}.npy", kernel.name));
        let written: ndarray::Array2<f64> = ndarray_npy::read_npy(&path).unwrap();
        assert_eq!(written.dim(), (n, n));
        assert_eq!(
            written.iter().copied().collect::<Vec<_>>(),
            kernel.values,
            "{}",
            kernel.name
        );
    }
    let eigenvalues: ndarray::Array1<f64> =
        ndarray_npy::read_npy(dir.path().join("eigenvalues.npy")).unwrap();
    assert_eq!(
        eigenvalues.to_vec(),
        match &run.spectrum.spectrum {
            overparam_trainer::ntk::KernelSpectrum::Full(full) => full.eigenvalues.clone(),
            other => panic!("{other:?}"),
        }
    );
    let written = summary(dir.path());
    let returned = as_read(&run.kernels.summary(&run.spectrum));
    for key in [
        "lambda_min",
        "lambda_max",
        "methods",
        "agreement",
        "spectrum_of",
    ] {
        assert_eq!(written[key], returned[key], "{key}");
    }
}
