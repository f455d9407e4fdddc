//! `overparam plot`: every figure of a small synthetic sweep is written as a valid SVG and PNG,
//! plots without data are skipped with a reason, and the math behind the plots is right.

use std::fs;
use std::path::{Path, PathBuf};

use libm::erfc;
use overparam_analysis::plot::plot_sweep;
use overparam_analysis::stats::{loglog_fit, normal_cdf};

const WIDTHS: [u32; 3] = [64, 256, 1024];
const NS: [u32; 2] = [32, 128];
const PLOTS: [&str; 6] = [
    "loss_curves",
    "lambda_min",
    "active_fraction",
    "movement_vs_width",
    "generalization_vs_width",
    "critical_width",
];

/// Whether runs measured held-out and linearized-network values.
#[derive(Clone, Copy, PartialEq)]
enum HeldOut {
    /// Files without the columns (written before they existed).
    Absent,
    /// The columns, with empty fields (not measured).
    Empty,
    /// The columns, with values.
    Measured,
}

/// What the synthetic runs contain.
#[derive(Clone, Copy)]
struct Options {
    /// Bias inits swept over.
    biases: &'static [f64],
    /// Whether metrics have lambda_min values (every 50 steps).
    lambda: bool,
    /// Whether critical_width.json is written.
    critical: bool,
    /// Held-out and linearized-network columns.
    held_out: HeldOut,
}

const FULL: Options = Options {
    biases: &[0.0, -0.5, -1.5],
    lambda: true,
    critical: true,
    held_out: HeldOut::Measured,
};

/// The held-out and linearized-network fields of a row, each `value` when measured: a leading
/// comma per column, nothing when the columns are absent.
fn held_out_fields(held_out: HeldOut, values: &[f64]) -> String {
    values
        .iter()
        .map(|v| match held_out {
            HeldOut::Absent => String::new(),
            HeldOut::Empty => ",".into(),
            HeldOut::Measured => format!(",{v}"),
        })
        .collect()
}

/// The header of the held-out and linearized-network columns of `columns`.
fn held_out_header(held_out: HeldOut, columns: &[&str]) -> String {
    match held_out {
        HeldOut::Absent => String::new(),
        _ => columns.iter().map(|c| format!(",{c}")).collect(),
    }
}

/// The config of a run, as summary.json holds it.
fn config(width: u32, n: u32, bias: f64, seed: u32) -> String {
    format!(
        r#"{{"seed":{seed},"data":{{"n":{n},"d":16,"inputs":"sphere"}},"model":{{"width":{width},"activation":"relu","parameterization":"ntk","bias_init":{bias:?}}},"train":{{"steps":200,"lr_w":1.0}}}}"#
    )
}

/// metrics.csv of a run: loss decaying faster for wider nets, active fraction near 1 − Φ(B),
/// a held-out loss above the training loss.
fn metrics(width: u32, bias: f64, seed: u32, lambda: bool, held_out: HeldOut) -> String {
    let mut text = String::from(
        "step,loss,grad_norm_w,grad_norm_b,grad_norm_a,move_w,move_b,move_a,active_fraction,flipped_fraction,lambda_min,lambda_max,ntk_drift",
    );
    let columns = [
        "test_loss",
        "loss_lin",
        "test_loss_lin",
        "lin_distance",
        "test_lin_distance",
    ];
    text += &held_out_header(held_out, &columns);
    text += "\n";
    for step in (0..=200).step_by(10) {
        let t = f64::from(step);
        let loss =
            0.5 * (-t * f64::from(width).sqrt() / 400.0).exp() * (1.0 + 0.1 * f64::from(seed));
        let active = 1.0 - normal_cdf(-bias) + 0.002 * (t / 30.0).sin();
        let measured = lambda && step % 50 == 0;
        let lam = if measured {
            (0.2 / (1.0 + t / 100.0)).to_string()
        } else {
            String::new()
        };
        let distance = t / 200.0 * f64::from(width).powf(-0.5);
        let lin = [0.05 + loss, loss, 0.05 + loss, distance, 2.0 * distance];
        let lin = held_out_fields(held_out, &lin);
        text += &format!("{step},{loss},1,0,1,0.01,0,0.01,{active},0.001,{lam},,{lin}\n");
    }
    text
}

/// A sweep over width × n × bias init × 2 seeds in `dir`.
fn write_sweep(dir: &Path, options: Options) {
    let mut csv = String::from(
        "run_id,model.width,data.n,model.bias_init,seed,status,error,final_loss,steps_to_target,lambda_min_0,lambda_max_0,move_w,move_b,move_a,active_fraction,ntk_drift,wall_s",
    );
    let columns = [
        "final_test_loss",
        "loss_lin",
        "test_loss_lin",
        "lin_distance",
        "test_lin_distance",
        "kernel_regression_test_loss",
    ];
    csv += &held_out_header(options.held_out, &columns);
    csv += "\n";
    let mut id = 0;
    for &width in &WIDTHS {
        for &n in &NS {
            for &bias in options.biases {
                for seed in 0..2 {
                    let run = format!("r{id:03}");
                    let run_dir = dir.join("runs").join(&run);
                    fs::create_dir_all(&run_dir).unwrap();
                    let metrics = metrics(width, bias, seed, options.lambda, options.held_out);
                    fs::write(run_dir.join("metrics.csv"), metrics).unwrap();
                    let config = config(width, n, bias, seed);
                    let summary = format!(r#"{{"status":"ok","config":{config}}}"#);
                    fs::write(run_dir.join("summary.json"), summary).unwrap();
                    let m = f64::from(width);
                    let (move_w, move_a) =
                        (2.0 * m.powf(-0.5) * f64::from(n) / 32.0, 3.0 * m.powf(-0.5));
                    // Held-out losses falling with the width towards kernel regression's, per n;
                    // distances from the linearized network ∝ m^(−1/2).
                    let kernel = 0.05 * f64::from(n) / 32.0;
                    let distance = 0.3 * f64::from(n) / 32.0 * m.powf(-0.5);
                    let values = [
                        kernel + 1.0 / m,
                        1e-4,
                        kernel,
                        distance,
                        2.0 * distance,
                        kernel,
                    ];
                    let lin = held_out_fields(options.held_out, &values);
                    csv += &format!("{run},{width},{n},{bias:?},{seed},ok,,1e-4,150,0.1,4.0,{move_w},0.01,{move_a},0.3,0.01,1.5{lin}\n");
                    id += 1;
                }
            }
        }
    }
    let failed = match options.held_out {
        HeldOut::Absent => HeldOut::Absent,
        _ => HeldOut::Empty,
    };
    let empty = held_out_fields(failed, &[0.0; 6]);
    csv += &format!("r999,64,32,0.0,9,failed,diverged,,,,,,,,,,{empty}\n");
    fs::write(dir.join("results.csv"), csv).unwrap();
    if options.critical {
        let json = r#"{"alpha":1.161,"alpha_low":0.9,"alpha_high":1.3,"intercept":0.358,"points":[
            {"n":32,"critical_width":80.0,"status":"bracketed"},
            {"n":128,"critical_width":400.0,"status":"bracketed"},
            {"n":512,"critical_width":null,"status":"above_grid"}]}"#;
        fs::write(dir.join("critical_width.json"), json).unwrap();
    }
}

/// CRC-32 (IEEE) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// The (width, height) of a PNG, after checking its signature and that every chunk up to IEND
/// is complete, has a correct CRC, and that there is image data.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap();
    let name = path.display();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{name} is not a PNG"
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    let (mut at, mut size, mut idat) = (8, None, 0);
    loop {
        let len = be(at) as usize;
        let kind = &bytes[at + 4..at + 8];
        assert!(at + 12 + len <= bytes.len(), "{name}: truncated chunk");
        assert_eq!(
            crc32(&bytes[at + 4..at + 8 + len]),
            be(at + 8 + len),
            "{name}: bad CRC"
        );
        match kind {
            b"IHDR" => size = Some((be(at + 8), be(at + 12))),
            b"IDAT" => idat += len,
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    assert!(idat > 0, "{name}: no image data");
    size.unwrap()
}

/// The width and height attributes of an SVG's root element.
fn svg_size(svg: &str) -> (u32, u32) {
    let attr = |name: &str| -> u32 {
        let start = svg.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        svg[start..].split('"').next().unwrap().parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// Asserts that `text` contains `part`.
fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "`{part}` not in:\n{text}");
}

/// Checks `dir/plots/name.{svg,png}`: written, same size, the SVG showing `title`.
fn check_figure(dir: &Path, written: &[PathBuf], name: &str, title: &str) {
    let svg_path = dir.join("plots").join(format!("{name}.svg"));
    let png_path = dir.join("plots").join(format!("{name}.png"));
    assert!(
        written.contains(&svg_path) && written.contains(&png_path),
        "{name} not reported"
    );
    let svg = fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{name}: not SVG"
    );
    assert!(svg.contains(title), "{name}.svg lacks its title `{title}`");
    let (w, h) = png_size(&png_path);
    assert!(w >= 600 && h >= 400, "{name}.png is {w}×{h}");
    assert_eq!((w, h), svg_size(&svg), "{name}: PNG and SVG sizes differ");
}

#[test]
fn a_full_sweep_gets_every_plot() {
    let tmp = tempfile::tempdir().unwrap();
    write_sweep(tmp.path(), FULL);
    let report = plot_sweep(tmp.path()).unwrap();
    assert!(report.skipped.is_empty(), "skipped: {:?}", report.skipped);
    assert_eq!(
        report.written.len(),
        2 * PLOTS.len(),
        "{:?}",
        report.written
    );
    let titles = [
        "Training and held-out loss by width m (one panel per n and bias init b₀, 2 seeds each)",
        "Smallest NTK eigenvalue λ_min during training by width m",
        "Fraction of active units during training by bias B = −b₀",
        "Relative weight movement by the end of training vs width (log-log)",
        "Held-out loss and distance from the linearized network vs width (log-log)",
        "Critical width m* vs number of samples n (log-log)",
    ];
    for (name, title) in PLOTS.iter().zip(titles) {
        check_figure(tmp.path(), &report.written, name, title);
    }
    let movement = fs::read_to_string(tmp.path().join("plots/movement_vs_width.svg")).unwrap();
    assert_has(&movement, "n = 128, bias init b₀ = −1.5: slope −0.50");
    assert_has(&movement, "‖W_T−W_0‖/‖W_0‖");
    let loss = fs::read_to_string(tmp.path().join("plots/loss_curves.svg")).unwrap();
    assert_has(&loss, "solid: training loss, dashed: held-out loss");
    let general = fs::read_to_string(tmp.path().join("plots/generalization_vs_width.svg")).unwrap();
    assert_has(&general, "held-out loss, median per width");
    assert_has(
        &general,
        "kernel regression with K∞ (m → ∞, mean over initializations), in its group",
    );
    assert_has(
        &general,
        "n = 128, bias init b₀ = −1.5, training: slope −0.50",
    );
    assert_has(&general, "n = 32, bias init b₀ = 0, held-out: slope −0.50");
    assert_has(&general, "slope −1/2 (lazy-regime rate)");
    let critical = fs::read_to_string(tmp.path().join("plots/critical_width.svg")).unwrap();
    assert_has(&critical, "α = 1.16, interval [0.90, 1.30]");
    assert_has(&critical, "∝ n²");
    assert_has(&critical, "n = 512: m* above the width grid");
    // Plotting again replaces the files and leaves no temporary ones behind.
    let again = plot_sweep(tmp.path()).unwrap();
    assert_eq!(again.written, report.written);
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn plots_without_data_are_skipped_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    write_sweep(
        tmp.path(),
        Options {
            biases: &[0.0],
            lambda: false,
            critical: false,
            held_out: HeldOut::Empty,
        },
    );
    let report = plot_sweep(tmp.path()).unwrap();
    let skipped = format!("{:?}", report.skipped);
    assert_has(
        &skipped,
        r#"("lambda_min", "no metrics.csv has positive lambda_min values"#,
    );
    assert_has(
        &skipped,
        r#"("active_fraction", "no run has a negative model.bias_init"#,
    );
    assert_has(&skipped, r#"("critical_width", "no critical_width.json"#);
    assert_has(
        &skipped,
        r#"("generalization_vs_width", "no run has final_test_loss or lin_distance values in results.csv"#,
    );
    assert_eq!(report.skipped.len(), 4);
    // Without held-out values the loss curves are the training loss alone.
    let title = "Training loss by width m (one panel per n, 2 seeds each)";
    check_figure(tmp.path(), &report.written, "loss_curves", title);
    let loss = fs::read_to_string(tmp.path().join("plots/loss_curves.svg")).unwrap();
    assert!(!loss.contains("held-out"), "{loss}");
    check_figure(tmp.path(), &report.written, "movement_vs_width", "vs width");
}

#[test]
fn a_single_run_directory_gets_its_curves() {
    let tmp = tempfile::tempdir().unwrap();
    let metrics = metrics(512, -0.5, 0, true, HeldOut::Absent);
    fs::write(tmp.path().join("metrics.csv"), metrics).unwrap();
    let summary = format!(r#"{{"config":{}}}"#, config(512, 256, -0.5, 0));
    fs::write(tmp.path().join("summary.json"), summary).unwrap();
    let report = plot_sweep(tmp.path()).unwrap();
    let title = "Training loss (width m = 512, n = 256)";
    check_figure(tmp.path(), &report.written, "loss_curves", title);
    check_figure(tmp.path(), &report.written, "lambda_min", "λ_min");
    check_figure(tmp.path(), &report.written, "active_fraction", "B = 0.5");
    let skipped: Vec<&str> = report
        .skipped
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "movement_vs_width",
            "generalization_vs_width",
            "critical_width"
        ]
    );
}

#[test]
fn nothing_plottable_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let error = format!("{:#}", plot_sweep(tmp.path()).unwrap_err());
    assert_has(&error, "nothing to plot: neither results.csv");
    assert_has(&error, &tmp.path().display().to_string());

    // A sweep whose runs all failed: every plot is skipped, which is an error naming why.
    let results = "run_id,model.width,status,error\nr0,64,failed,boom\n";
    fs::write(tmp.path().join("results.csv"), results).unwrap();
    let error = format!("{:#}", plot_sweep(tmp.path()).unwrap_err());
    assert_has(&error, "loss_curves: no run with status ok in results.csv");
    assert!(!tmp.path().join("plots").exists());

    // A broken metrics file is named in the error.
    let bad = tmp.path().join("bad");
    fs::create_dir_all(&bad).unwrap();
    fs::write(bad.join("metrics.csv"), "step,loss\n0,0.5\n1,oops\n").unwrap();
    let error = format!("{:#}", plot_sweep(&bad).unwrap_err());
    assert_has(&error, &bad.join("metrics.csv").display().to_string());
    assert_has(&error, "`oops` is not a number");
}

#[test]
fn the_loglog_slope_of_lazy_movement_is_minus_one_half() {
    let points: Vec<(f64, f64)> = [64.0, 128.0, 256.0, 1024.0, 4096.0]
        .map(|m: f64| (m, 2.0 * m.powf(-0.5)))
        .to_vec();
    let fit = loglog_fit(&points).unwrap();
    assert!((fit.slope + 0.5).abs() < 1e-12, "{fit:?}");
    assert!((fit.intercept - 2f64.ln()).abs() < 1e-12, "{fit:?}");
    assert!((fit.at(100.0) - 0.2).abs() < 1e-12);
    assert!(
        loglog_fit(&[(64.0, 1.0), (64.0, 2.0)]).is_none(),
        "one width has no slope"
    );
    assert!(
        loglog_fit(&[(64.0, 1.0), (128.0, 0.0)]).is_none(),
        "non-positive y is dropped"
    );
}

#[test]
fn the_normal_cdf_matches_tables() {
    for (x, phi) in [
        (0.0, 0.5),
        (1.0, 0.841_344_746_068_543),
        (-1.96, 0.024_997_895_148_220),
        (2.5, 0.993_790_334_674_224),
        (-4.0, 3.167_124_183_311_99e-5),
    ] {
        let error = (normal_cdf(x) - phi).abs();
        assert!(
            error < 1e-7 * phi.max(1e-3),
            "Φ({x}) = {} ≠ {phi}",
            normal_cdf(x)
        );
    }
    assert!((erfc(0.5) - 0.479_500_122_186_953).abs() < 1e-7);
    assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-7);
}
