//! The NTK through the API: kernels `[n, n]` by method, their agreement, the spectrum, and
//! the methods that do not apply.

mod common;

use common::{tiny, FLEX_F64};
use overparam_api::{ntk, Experiment, NamedArray, NtkMethods, NtkRequest};

fn request(methods: NtkMethods, skip_inapplicable: bool) -> NtkRequest {
    NtkRequest {
        compute: FLEX_F64,
        methods,
        skip_inapplicable,
        lr_weighted: false,
        inputs: None,
        given: Default::default(),
        init: None,
        block_size: 5,
        kernel: overparam_api::ntk::KernelKind::Ntk,
        ridge: None,
    }
}

const ALL: NtkMethods = NtkMethods {
    jacobian: true,
    closed: true,
    analytic: true,
};

#[test]
fn every_method_gives_a_symmetric_kernel_and_they_agree() {
    let run = ntk(&tiny(&["model.width=64"]), &request(ALL, true)).unwrap();
    let n = run.kernels.num_samples;
    assert_eq!(n, 12);
    let names: Vec<&str> = run.kernels.kernels.iter().map(|k| k.name).collect();
    assert_eq!(names, ["jacobian", "closed", "analytic"]);
    for kernel in &run.kernels.kernels {
        assert_eq!(kernel.values.len(), n * n);
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (kernel.values[i * n + j], kernel.values[j * n + i]);
                assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{}", kernel.name);
            }
        }
    }
    let agreement = run.kernels.agreement();
    assert!(agreement["jacobian_vs_closed"].as_f64().unwrap() < 1e-10);
    assert!(agreement["closed_vs_analytic"].as_f64().unwrap() < 1.0);
    assert_eq!(run.spectrum.of, "closed");
    let overparam_trainer::ntk::KernelSpectrum::Full(full) = &run.spectrum.spectrum else {
        panic!("n = {n} takes the full decomposition");
    };
    assert_eq!(full.eigenvalues.len(), n);
    assert!(run.spectrum.spectrum.lambda_min() > 0.0);
    let summary = run.kernels.summary(&run.spectrum);
    assert_eq!(summary["spectrum_of"], "closed");
    assert_eq!(summary["kernel"], "plain");
}

#[test]
fn given_inputs_replace_the_configs_data() {
    let experiment = tiny(&[]);
    let x = NamedArray::new(
        "x",
        vec![5, 3],
        (0..15).map(|v| f64::from(v) / 15.0).collect(),
    )
    .unwrap();
    let mut asked = request(ALL, true);
    asked.inputs = Some(x);
    let run = ntk(&experiment, &asked).unwrap();
    assert_eq!(run.kernels.num_samples, 5);
    let wrong = NamedArray::new("x", vec![5, 2], vec![0.0; 10]).unwrap();
    asked.inputs = Some(wrong);
    let error = ntk(&experiment, &asked).unwrap_err();
    assert!(error.to_string().contains("expected [n, 3]"), "{error}");
}

#[test]
fn an_inapplicable_method_is_a_note_or_an_error() {
    let text = "[data]\nn = 6\nd = 3\n[model]\nwidths = [8, 8]\n";
    let deep = Experiment::from_toml(text, &[]).unwrap();
    let run = ntk(&deep, &request(ALL, true)).unwrap();
    let names: Vec<&str> = run.kernels.kernels.iter().map(|k| k.name).collect();
    assert_eq!(names, ["jacobian", "analytic"]);
    assert!(run.kernels.notes.contains_key("closed_skipped"));
    let closed_only = NtkMethods {
        jacobian: false,
        closed: true,
        analytic: false,
    };
    assert!(ntk(&deep, &request(closed_only, false)).is_err());
}
