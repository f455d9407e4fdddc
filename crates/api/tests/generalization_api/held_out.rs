//! Held-out points drawn from the data's law or read from a file: the training set untouched,
//! the same labelling rule, and errors that name the file and array.

use super::*;

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
