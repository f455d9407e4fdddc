//! Held-out points, kernel-regression predictions, the NNGP ensemble and the linearized
//! network through `Experiment` configs (`data.n_test`, `data.test_path`, `train.linearized`),
//! each checked against a computation made here: the teacher applied by hand, a direct linear
//! solve, networks built from configs with other seeds, the final network's own outputs.
//! All f64 on flex.

mod common;

use std::path::Path;

use common::numerics::{relative_error, solve, times};
use common::{tiny, FLEX_F64};
use overparam_api::ntk::{ntk_kernels, KernelKind, NtkRequest};
use overparam_api::{train, EngineChoice, Experiment, NamedArray, NtkMethods, TrainOptions};
use overparam_trainer::data::{planted_quadratic_output, unit_directions};
use overparam_trainer::ntk::{analytic_ntk, ntk, KernelBlocks, NtkMethod, NtkOptions};
use overparam_trainer::{mean_squared_loss_of, network_outputs, stream_rng, RngStream};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Writes `x` `[rows, d]` and `y` `[rows]` to the `.npz` file `path`.
fn write_xy(path: &Path, d: usize, x: &[f64], y: &[f64]) {
    let array = |name: &str, shape: Vec<usize>, values: &[f64]| {
        NamedArray::new(name, shape, values.to_vec()).unwrap()
    };
    let arrays = [
        array("x", vec![x.len() / d, d], x),
        array("y", vec![y.len()], y),
    ];
    overparam_trainer::write_npz_arrays(std::fs::File::create(path).unwrap(), &arrays).unwrap();
}

/// `data.test_path` set to `path`.
fn test_path(path: &Path) -> String {
    format!("data.test_path=\"{}\"", path.display())
}

/// The error (with its causes) of the tiny config reading `path` as its held-out file.
fn held_out_error(path: &Path) -> String {
    let error = tiny(&[&test_path(path)]).dataset().unwrap_err();
    format!("{error:#}")
}

fn request(methods: NtkMethods, kernel: KernelKind, ridge: Option<f64>) -> NtkRequest {
    NtkRequest {
        compute: FLEX_F64,
        methods,
        skip_inapplicable: false,
        lr_weighted: false,
        inputs: None,
        given: Default::default(),
        init: None,
        block_size: 4,
        kernel,
        ridge,
    }
}

const CLOSED: NtkMethods = NtkMethods {
    jacobian: false,
    closed: true,
    analytic: false,
};

const CLOSED_AND_ANALYTIC: NtkMethods = NtkMethods {
    jacobian: false,
    closed: true,
    analytic: true,
};

// ---------------------------------------------------------------------------------------------
// (a) Drawn held-out points
// ---------------------------------------------------------------------------------------------

#[test]
fn drawn_held_out_points_leave_the_training_set_alone_and_follow_its_rule() {
    let plain = tiny(&[]).dataset().unwrap();
    assert!(plain.test.is_none());
    let with_test = tiny(&["data.n_test=5"]).dataset().unwrap();
    // Adding held-out points changes nothing of the training set.
    assert_eq!(with_test.inputs, plain.inputs);
    assert_eq!(with_test.targets, plain.targets);
    let test = with_test.test.as_ref().expect("held-out points");
    assert_eq!(test.num_samples, 5);
    assert_eq!((test.inputs.len(), test.targets.len()), (15, 5));
    // Reproducible: the same config gives the same points; a larger n_test still leaves the
    // training set alone.
    assert_eq!(
        tiny(&["data.n_test=5"]).dataset().unwrap().test.as_ref(),
        Some(test)
    );
    let more = tiny(&["data.n_test=9"]).dataset().unwrap();
    assert_eq!(more.inputs, plain.inputs);
    assert_eq!(more.test.as_ref().unwrap().num_samples, 9);
    // Drawn from the same law (the quickstart's sphere), but not the training points.
    for x in test.inputs.chunks_exact(3) {
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-14, "|x| = {norm}");
        assert!(
            plain.inputs.chunks_exact(3).all(|t| t != x),
            "a held-out point is a training point"
        );
    }
    // Labelled by the same teacher, applied here to the held-out inputs.
    let teacher = with_test.teacher.as_ref().expect("teacher labels");
    for (x, y) in test.inputs.chunks_exact(3).zip(&test.targets) {
        assert_eq!(*y, teacher.output(x));
    }
    // A different seed moves the held-out points.
    let other = tiny(&["data.n_test=5", "seed=3"]).dataset().unwrap();
    assert_ne!(other.test.as_ref().unwrap().inputs, test.inputs);
}

#[test]
fn random_and_planted_labels_of_held_out_points() {
    // Random labels: fresh draws, not a copy of the training labels.
    let n = 12;
    let data = tiny(&["data.labels=\"random\"", "data.n_test=12"])
        .dataset()
        .unwrap();
    let plain = tiny(&["data.labels=\"random\""]).dataset().unwrap();
    assert_eq!(data.targets, plain.targets);
    let test = data.test.as_ref().unwrap();
    assert_eq!(test.targets.len(), n);
    assert_ne!(test.targets, data.targets);
    for y in &test.targets {
        assert!(
            !data.targets.contains(y),
            "held-out label {y} copies a training label"
        );
    }
    // Gaussian labels: finite, not all equal, of unit scale (12 draws: mean square in
    // [0.1, 5] with probability ≈ 1 − 1e-6).
    let mean_square = test.targets.iter().map(|y| y * y).sum::<f64>() / n as f64;
    assert!((0.1..5.0).contains(&mean_square), "{mean_square}");

    // Planted quadratic: y = Σ_j (u_j·x)² with the directions drawn from teacher_seed.
    let data = tiny(&[
        "data.labels=\"planted_quadratic\"",
        "data.teacher_width=2",
        "data.teacher_seed=4",
        "data.n_test=6",
    ])
    .dataset()
    .unwrap();
    let directions = unit_directions(2, 3, false, &mut stream_rng(4, RngStream::Teacher)).unwrap();
    let test = data.test.as_ref().unwrap();
    for (x, y) in test.inputs.chunks_exact(3).zip(&test.targets) {
        assert_eq!(*y, planted_quadratic_output(&directions, x));
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Held-out points from a file
// ---------------------------------------------------------------------------------------------

#[test]
fn held_out_points_from_an_npz_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("test.npz");
    let x: Vec<f64> = (0..21).map(|v| (f64::from(v) * 0.37).sin()).collect();
    let y: Vec<f64> = (0..7).map(|v| f64::from(v) - 3.0).collect();
    write_xy(&good, 3, &x, &y);
    let path_set = test_path(&good);
    let data = tiny(&[&path_set]).dataset().unwrap();
    let test = data.test.as_ref().unwrap();
    assert_eq!((test.num_samples, &test.inputs, &test.targets), (7, &x, &y));
    // The training set is the config's, as without the file.
    assert_eq!(data.inputs, tiny(&[]).dataset().unwrap().inputs);
    // n_test, when given with the file, is the number of rows the file must have.
    let data = tiny(&[&path_set, "data.n_test=7"]).dataset().unwrap();
    assert_eq!(data.test.unwrap().num_samples, 7);
    let error = tiny(&[&path_set, "data.n_test=6"]).dataset().unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("test.npz") && message.contains("`x`") && message.contains("[6, 3]"),
        "{message}"
    );

    // Wrong d: x [7, 2] for data.d = 3.
    let wrong_d = dir.path().join("wrong_d.npz");
    write_xy(&wrong_d, 2, &x[..14], &y);
    let message = held_out_error(&wrong_d);
    assert!(
        message.contains("wrong_d.npz") && message.contains("`x`") && message.contains("[7, 3]"),
        "{message}"
    );

    // y of the wrong length.
    let wrong_y = dir.path().join("wrong_y.npz");
    write_xy(&wrong_y, 3, &x, &y[..6]);
    let message = held_out_error(&wrong_y);
    assert!(
        message.contains("wrong_y.npz") && message.contains("`y`"),
        "{message}"
    );

    // NaN in y, and ∞ in x.
    for (name, bad_x, bad_y) in [
        ("nan_y.npz", x.clone(), {
            let mut v = y.clone();
            v[4] = f64::NAN;
            v
        }),
        (
            "inf_x.npz",
            {
                let mut v = x.clone();
                v[10] = f64::INFINITY;
                v
            },
            y.clone(),
        ),
    ] {
        let path = dir.path().join(name);
        write_xy(&path, 3, &bad_x, &bad_y);
        let message = held_out_error(&path);
        let array_name = if name.ends_with("y.npz") {
            "`y`"
        } else {
            "`x`"
        };
        assert!(
            message.contains(name) && message.contains(array_name),
            "{message}"
        );
    }

    // A missing file is named.
    let message = held_out_error(&dir.path().join("missing.npz"));
    assert!(message.contains("missing.npz"), "{message}");
}

/// An `.npz` with `x` `[0, d]` and `y` `[0]` holds no held-out points: training with it must
/// fail with an error naming the file (as `tests/generalization_cli.rs` expects of the
/// command), not panic and not report a NaN held-out loss as a divergence.
#[test]
fn an_empty_held_out_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.npz");
    write_xy(&empty, 3, &[], &[]);
    let path_set = test_path(&empty);
    for linearized in ["train.linearized=true", "train.linearized=false"] {
        let experiment = tiny(&[&path_set, linearized]);
        let message = match train(&experiment, &options(), &mut ()) {
            Err(error) => format!("{error:#}"),
            Ok(run) => match run.result {
                Err(error) => error.to_string(),
                Ok(_) => panic!("{linearized}: training with no held-out points succeeded"),
            },
        };
        assert!(message.contains("empty.npz"), "{linearized}: {message}");
        assert!(!message.contains("diverged"), "{linearized}: {message}");
    }
}

#[test]
fn drawn_held_out_points_need_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.npz");
    let x: Vec<f64> = (0..36).map(|v| (f64::from(v) * 0.21).cos()).collect();
    write_xy(&train, 3, &x, &[0.5; 12]);
    let path_set = format!("data.path=\"{}\"", train.display());
    // Sanity: the file alone is a valid config.
    let ok = tiny(&[&path_set, "data.inputs=\"file\"", "data.labels=\"file\""]);
    assert_eq!(ok.dataset().unwrap().targets, vec![0.5; 12]);
    for labels in ["data.labels=\"file\"", "data.labels=\"teacher\""] {
        let overrides: Vec<String> = [
            "model.width=16",
            "data.n=12",
            "data.d=3",
            &path_set,
            "data.inputs=\"file\"",
            labels,
            "data.n_test=4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let error = Experiment::load(&common::quickstart(), &overrides)
            .and_then(|e| e.dataset().map(|_| ()))
            .unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("data.test_path"), "{labels}: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Kernel-regression predictions and the NNGP ensemble
// ---------------------------------------------------------------------------------------------

#[test]
fn predictions_equal_a_direct_kernel_regression() {
    let experiment = tiny(&["data.n_test=4", "model.width=64"]);
    let run = ntk_kernels(
        &experiment,
        &request(CLOSED_AND_ANALYTIC, KernelKind::Ntk, Some(0.0)),
    )
    .unwrap();
    let dataset = experiment.dataset().unwrap();
    let test = dataset.test.as_ref().unwrap();
    let (n, n_test) = (12, 4);
    // f_0 of the config's network, computed here.
    let device = FLEX_F64.device(&experiment.resolved.model).unwrap();
    let network = experiment.initial_network(&device, None).unwrap();
    let f0 = network_outputs(&network, &dataset.inputs);
    let f0_test = network_outputs(&network, &test.inputs);

    let predictions = run.predictions.as_ref().expect("predictions");
    assert_eq!(predictions.ridge, 0.0);
    assert_eq!(predictions.test_targets.as_ref(), Some(&test.targets));
    assert!(relative_error(&predictions.initial_test, &f0_test) < 1e-14);
    assert_eq!(predictions.by_method.len(), 2);
    for (kernel, prediction) in run.kernels.iter().zip(&predictions.by_method) {
        assert_eq!(kernel.name, prediction.method);
        let cross = kernel.cross.as_ref().expect("cross kernel with a ridge");
        assert_eq!((kernel.values.len(), cross.len()), (n * n, n_test * n));
        // The empirical NTK's prediction is offset by f_0; the analytic one's is not (f_0
        // averages to 0 over initializations).
        let (offset, offset_test) = match kernel.name {
            "closed" => (f0.clone(), f0_test.clone()),
            _ => (vec![0.0; n], vec![0.0; n_test]),
        };
        let residual: Vec<f64> = dataset
            .targets
            .iter()
            .zip(&offset)
            .map(|(y, f)| y - f)
            .collect();
        let w = solve(&kernel.values, 0.0, &residual);
        let want: Vec<f64> = times(cross, &w)
            .iter()
            .zip(&offset_test)
            .map(|(d, f)| f + d)
            .collect();
        // Both solves are backward stable: they agree to ~κ·n·ε (κ from the prediction
        // itself); 1e3·κ·ε leaves margin, at least 1e-12.
        let kappa = prediction.condition_number;
        assert!(kappa.is_finite() && kappa >= 1.0, "{kappa}");
        let tolerance = (1e3 * kappa * f64::EPSILON).max(1e-12);
        let err = relative_error(&prediction.test, &want);
        assert!(
            err < tolerance,
            "{}: error {err:e} (κ {kappa:e})\n{:?}\n{want:?}",
            kernel.name,
            prediction.test
        );
        let test_loss = mean_squared_loss_of(&want, &test.targets);
        let reported = prediction.test_loss.expect("held-out loss");
        assert!((reported - test_loss).abs() <= tolerance * 10.0 * test_loss);
        // Without a ridge the fit interpolates the training points.
        assert!(
            prediction.train_loss < 1e-20 + tolerance,
            "{}",
            prediction.train_loss
        );
    }
    // The closed-form blocks are the kernels of the network on [X; X_test] (1e-12: the same
    // products on other row counts).
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let options = NtkOptions {
        method: NtkMethod::ClosedForm,
        on_host: true,
    };
    let blocks = KernelBlocks::split(
        &ntk(&network, &joint, &options).unwrap().kernel(None),
        n,
        n_test,
    );
    let closed = &run.kernels[0];
    assert!(relative_error(&closed.values, &blocks.train) < 1e-12);
    assert!(relative_error(closed.cross.as_ref().unwrap(), &blocks.cross) < 1e-12);
}

#[test]
fn predictions_need_held_out_points() {
    let error = ntk_kernels(&tiny(&[]), &request(CLOSED, KernelKind::Ntk, Some(0.0))).unwrap_err();
    assert!(format!("{error:#}").contains("data.n_test"), "{error:#}");
    // Without a ridge no cross kernel is returned.
    let run = ntk_kernels(
        &tiny(&["data.n_test=3"]),
        &request(CLOSED, KernelKind::Ntk, None),
    )
    .unwrap();
    assert!(run.predictions.is_none());
    assert!(run.kernels[0].cross.is_none());
}

#[test]
fn empirical_nngp_is_the_mean_over_the_configs_seeds() {
    let base_seed = 5u64;
    let seed_set = format!("seed={base_seed}");
    let experiment = tiny(&[&seed_set, "data.n_test=3"]);
    let ensemble = 8;
    let run = ntk_kernels(
        &experiment,
        &request(CLOSED, KernelKind::Nngp { ensemble }, Some(0.5)),
    )
    .unwrap();
    assert_eq!(run.kernels.len(), 1);
    let kernel = &run.kernels[0];
    assert_eq!(kernel.name, "empirical");
    let dataset = experiment.dataset().unwrap();
    let test = dataset.test.as_ref().unwrap();
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let total = 15;
    let device = FLEX_F64.device(&experiment.resolved.model).unwrap();
    let mut mean = vec![0.0; total * total];
    for offset in 0..ensemble as u64 {
        // Each member from a config that sets `seed` itself (its own data is not used).
        let member = tiny(&[&format!("seed={}", base_seed + offset), "data.n_test=3"]);
        let network = member.initial_network(&device, None).unwrap();
        let f = network_outputs(&network, &joint);
        for i in 0..total {
            for j in 0..total {
                mean[i * total + j] += f[i] * f[j] / ensemble as f64;
            }
        }
    }
    let blocks = KernelBlocks::split(&mean, 12, 3);
    // The same products summed in the same order up to the division: 1e-14 relative.
    assert!(relative_error(&kernel.values, &blocks.train) < 1e-14);
    assert!(relative_error(kernel.cross.as_ref().unwrap(), &blocks.cross) < 1e-14);
    // Not the kernel of one network: the mean over 8 differs from the first member's f fᵀ.
    let first = tiny(&[&seed_set, "data.n_test=3"])
        .initial_network(&device, None)
        .unwrap();
    let f = network_outputs(&first, &dataset.inputs);
    let single: Vec<f64> = (0..144).map(|k| f[k / 12] * f[k % 12]).collect();
    assert!(relative_error(&kernel.values, &single) > 1e-2);
    // The GP posterior mean K_c (K + ρI)⁻¹ y with ρ = 0.5 (no f_0 offset): κ ≤ (λ_max + ρ)/ρ
    // is small, so 1e-10.
    let prediction = &run.predictions.as_ref().unwrap().by_method[0];
    let w = solve(&blocks.train, 0.5, &dataset.targets);
    let want = times(&blocks.cross, &w);
    assert!(
        relative_error(&prediction.test, &want) < 1e-10,
        "{:?}\n{want:?}",
        prediction.test
    );
}

// ---------------------------------------------------------------------------------------------
// (d) Training with held-out points and the linearized network
// ---------------------------------------------------------------------------------------------

fn options() -> TrainOptions {
    TrainOptions {
        compute: FLEX_F64,
        engine: EngineChoice::Auto,
        init: None,
        dataset: None,
    }
}

#[test]
fn training_summary_reports_the_held_out_and_linearized_columns() {
    // Rates that differ per group, so that K∞_η is not K∞.
    let experiment = tiny(&[
        "data.n_test=6",
        "train.linearized=true",
        "train.lr_w=0.7",
        "train.lr_b=0.3",
        "train.lr_a=1.3",
    ]);
    let run = train(&experiment, &options(), &mut ()).unwrap();
    run.result.as_ref().expect("training succeeds");
    let summary = run.summary();
    let last = run.rows.last().unwrap();
    assert_eq!(last.step, 30);
    let general = &last.generalization;
    let test_loss = general.test_loss.expect("held-out loss");
    assert_eq!(summary["final_test_loss"].as_f64(), Some(test_loss));

    // The held-out loss is the final network's, computed here from its parameters.
    let dataset = experiment.dataset().unwrap();
    let test = dataset.test.as_ref().unwrap();
    let device = FLEX_F64.device(&experiment.resolved.model).unwrap();
    let final_network = experiment
        .resolved
        .model
        .with_parameters(run.final_parameters.as_ref().unwrap(), &device)
        .unwrap();
    let want = mean_squared_loss_of(
        &network_outputs(&final_network, &test.inputs),
        &test.targets,
    );
    assert!(
        (test_loss - want).abs() <= 1e-12 * want,
        "{test_loss} vs {want}"
    );

    // final_linearized: the last row's linearized columns.
    let linear = general.linearized.expect("linearized columns");
    let reported = &summary["final_linearized"];
    assert_eq!(reported["loss_lin"].as_f64(), Some(linear.loss));
    assert_eq!(reported["test_loss_lin"].as_f64(), linear.test_loss);
    assert_eq!(reported["lin_distance"].as_f64(), Some(linear.distance));
    assert_eq!(reported["test_lin_distance"].as_f64(), linear.test_distance);
    assert!(linear.test_loss.is_some() && linear.test_distance.is_some());
    // Every row has the columns; step 0's linearized network is the network itself.
    for row in &run.rows {
        assert!(row.generalization.test_loss.is_some());
        assert!(row.generalization.linearized.is_some());
    }
    let first = run.rows[0].generalization.linearized.unwrap();
    assert!(first.distance < 1e-13, "{}", first.distance);
    assert!((first.loss - run.rows[0].loss).abs() <= 1e-12 * run.rows[0].loss);

    // kernel_regression.analytic_test_loss: K∞_η regression of y (no f_0), computed here.
    let rates = &experiment.resolved.train.learning_rates;
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let kernel = analytic_ntk(&joint, &experiment.resolved.model, Some(rates)).unwrap();
    let blocks = KernelBlocks::split(&kernel, 12, 6);
    let w = solve(&blocks.train, 0.0, &dataset.targets);
    let prediction = times(&blocks.cross, &w);
    let want = mean_squared_loss_of(&prediction, &test.targets);
    let got = summary["kernel_regression"]["analytic_test_loss"]
        .as_f64()
        .unwrap_or_else(|| panic!("{summary}"));
    // K∞ on 12 sphere points is well conditioned (κ reported alongside); 1e-9 relative.
    let kappa = summary["kernel_regression"]["analytic_condition_number"]
        .as_f64()
        .unwrap();
    assert!(kappa < 1e5, "κ {kappa}");
    assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
}

#[test]
fn without_held_out_points_or_linearization_the_summary_has_no_such_fields() {
    // Linearized without held-out points: training-set columns only, no regression.
    let run = train(&tiny(&["train.linearized=true"]), &options(), &mut ()).unwrap();
    let summary = run.summary();
    assert!(summary.get("final_test_loss").is_none(), "{summary}");
    assert!(summary.get("kernel_regression").is_none(), "{summary}");
    let reported = &summary["final_linearized"];
    assert!(reported["loss_lin"].as_f64().is_some(), "{summary}");
    assert!(reported["test_loss_lin"].is_null(), "{summary}");
    let last = run.rows.last().unwrap().generalization;
    assert!(last.test_loss.is_none() && last.linearized.unwrap().test_loss.is_none());

    // Held-out points without the linearization: the held-out loss only.
    let run = train(&tiny(&["data.n_test=4"]), &options(), &mut ()).unwrap();
    let summary = run.summary();
    assert!(summary["final_test_loss"].as_f64().is_some(), "{summary}");
    assert!(summary.get("final_linearized").is_none(), "{summary}");
    assert!(summary.get("kernel_regression").is_none(), "{summary}");
    assert!(run
        .rows
        .iter()
        .all(|r| r.generalization.linearized.is_none()));

    // Neither: as before this feature.
    let run = train(&tiny(&[]), &options(), &mut ()).unwrap();
    assert!(run
        .rows
        .iter()
        .all(|r| r.generalization == Default::default()));
}
