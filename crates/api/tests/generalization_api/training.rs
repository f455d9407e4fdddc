//! Training with held-out points and the linearized network: the summary's fields against the
//! rows and the final network.

use super::*;

// ---------------------------------------------------------------------------------------------
// (d) Training with held-out points and the linearized network
// ---------------------------------------------------------------------------------------------

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
