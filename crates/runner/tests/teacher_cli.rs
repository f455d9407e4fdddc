//! The `pl_ratio` and `teacher_alignment` metric columns and the teacher–student files
//! (`teacher.npz`, `alignment.npy`), recomputed here from what the run wrote.

mod common;

use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;
use overparam_sweep::results::Table;

use common::{stderr, subcommand};

const TEACHER: &str = r#"
seed = 2
[data]
n = 40
d = 5
teacher_width = 3
teacher_orthonormal = true
[model]
width = 12
[train]
steps = 300
log_every = 50
"#;

fn read_npz(path: &std::path::Path, name: &str) -> ndarray::ArrayD<f64> {
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(path).unwrap()).unwrap();
    npz.by_name(name).unwrap()
}

#[test]
fn teacher_runs_write_alignment_and_pl_ratio_matches_its_definition() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, TEACHER).unwrap();
    let out = dir.path().join("out");
    let output = subcommand("train", &config, &out, &["--dtype", "f64"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let metrics = Table::read(&out.join("metrics.csv")).unwrap();
    let column = |name: &str| metrics.column(name).unwrap();
    for row in 0..metrics.rows.len() {
        let value = |name: &str| metrics.number(row, column(name)).unwrap().unwrap();
        let squared_gradient: f64 = ["grad_norm_w", "grad_norm_b", "grad_norm_a"]
            .iter()
            .map(|g| value(g).powi(2))
            .sum();
        let expected = squared_gradient / (2.0 * value("loss"));
        assert!(
            (value("pl_ratio") - expected).abs() <= 1e-12 * expected,
            "row {row}"
        );
        let alignment = value("teacher_alignment");
        assert!((-1.0..=1.0).contains(&alignment), "row {row}: {alignment}");
    }

    // The teacher: orthonormal unit directions, output weights 1, no bias.
    let teacher: Array2<f64> = read_npz(&out.join("teacher.npz"), "w1")
        .into_dimensionality()
        .unwrap();
    assert_eq!(teacher.dim(), (3, 5));
    let gram = teacher.dot(&teacher.t());
    for ((i, j), g) in gram.indexed_iter() {
        assert!(
            (g - f64::from(u8::from(i == j))).abs() < 1e-12,
            "teacher Gram {gram}"
        );
    }

    // alignment.npy against the final student, and the last row's alignment from it.
    let alignment: Array2<f64> = ndarray_npy::read_npy(out.join("alignment.npy")).unwrap();
    assert_eq!(alignment.dim(), (12, 3));
    let params = out.join("params_final.npz");
    let w1: Array2<f64> = read_npz(&params, "w1").into_dimensionality().unwrap();
    let a: Array1<f64> = read_npz(&params, "a").into_dimensionality().unwrap();
    for r in 0..12 {
        let row = w1.row(r);
        for j in 0..3 {
            let cosine = row.dot(&teacher.row(j)) / row.dot(&row).sqrt();
            assert!((alignment[(r, j)] - cosine).abs() < 1e-12);
        }
    }
    let best = alignment
        .rows()
        .into_iter()
        .map(|row| row.fold(f64::MIN, |m, &c| m.max(c)));
    let weighted: f64 = best.zip(a.iter()).map(|(c, a)| a.abs() * c).sum();
    let expected = weighted / a.iter().map(|a| a.abs()).sum::<f64>();
    let last = metrics.rows.len() - 1;
    let logged = metrics
        .number(last, column("teacher_alignment"))
        .unwrap()
        .unwrap();
    assert!((logged - expected).abs() < 1e-12, "{logged} vs {expected}");
}

#[test]
fn runs_without_a_teacher_leave_the_column_empty() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        TEACHER.replace("teacher_width = 3", "labels = \"random\""),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = subcommand("train", &config, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let metrics = Table::read(&out.join("metrics.csv")).unwrap();
    let column = metrics.column("teacher_alignment").unwrap();
    assert!(metrics.rows.iter().all(|row| row[column].is_empty()));
    assert!(!out.join("teacher.npz").exists() && !out.join("alignment.npy").exists());
}

#[test]
fn a_student_started_at_its_teacher_has_zero_loss_and_bad_starts_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        TEACHER.replace("width = 12", "width = 3\ninit = \"teacher\""),
    )
    .unwrap();
    // m = k, and m > k with each teacher neuron split among 2 or 3 copies (m = 8, k = 3).
    for (parameterization, width) in [
        ("ntk", 3),
        ("standard", 3),
        ("mean_field", 3),
        ("ntk", 8),
        ("standard", 8),
        ("mean_field", 8),
    ] {
        let out = dir.path().join(format!("{parameterization}-{width}"));
        let set = format!("model.parameterization=\"{parameterization}\"");
        let width_set = format!("model.width={width}");
        let output = subcommand(
            "train",
            &config,
            &out,
            &["--dtype", "f64", "--set", &set, "--set", &width_set],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let metrics = Table::read(&out.join("metrics.csv")).unwrap();
        let loss = metrics
            .number(0, metrics.column("loss").unwrap())
            .unwrap()
            .unwrap();
        assert!(
            loss < 1e-28,
            "{parameterization}, m = {width}: the exact teacher has loss {loss}"
        );
        let cosines: Array2<f64> = read_npy(out.join("alignment.npy")).unwrap();
        assert_eq!(cosines.dim(), (width, 3));
        for (r, row) in cosines.rows().into_iter().enumerate() {
            assert!(
                (row[r % 3] - 1.0).abs() < 1e-12,
                "neuron {r} copies teacher neuron {}: {row}",
                r % 3
            );
        }
    }
    let out = dir.path().join("noisy");
    let output = subcommand("train", &config, &out, &["--set", "model.init_noise=0.1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let metrics = Table::read(&out.join("metrics.csv")).unwrap();
    let loss = metrics
        .number(0, metrics.column("loss").unwrap())
        .unwrap()
        .unwrap();
    assert!(loss > 1e-6, "a perturbed start is not the teacher: {loss}");

    for (set, message) in [
        ("model.width=2", "model.width ≥ data.teacher_width = 3"),
        ("data.labels=\"random\"", "needs data.labels = \"teacher\""),
        ("model.init_noise=-1", "model.init_noise must be finite"),
    ] {
        let output = subcommand("train", &config, &out, &["--set", set]);
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains(message),
            "{set}: {}",
            stderr(&output)
        );
    }
}
