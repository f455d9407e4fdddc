//! `overparam bench --quick --json` runs every task and reports it in the documented shape
//! (nothing about speed is asserted: timings are reported, never tested).

mod common;

use common::{overparam, stderr};

#[test]
fn quick_bench_reports_every_task_and_identical_batched_seeds() {
    let output = overparam(&["bench", "--quick", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for dtype in ["f32", "f64"] {
        let rate = report["gemm_gflops"][dtype].as_f64().unwrap();
        assert!(rate.is_finite() && rate > 0.0, "GEMM rate {dtype}: {rate}");
    }
    let tasks = report["tasks"].as_array().unwrap();
    let names: Vec<&str> = tasks.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for expected in [
        "gd_step_two_layer_f32_1024x64x4096",
        "gd_step_two_layer_f32_1024x64x4096_autodiff",
        "gd_step_two_layer_f32_256x32x1024",
        "gd_step_mlp3_f32_1024x64x1024",
        "gd_step_two_layer_f32_1024x64x4096_bias-3",
        "gd_step_two_layer_f32_1024x64x4096_bias-3_dense_pass",
        "sgd_step_two_layer_f32_1024x64x4096_batch64",
        "sgd_step_two_layer_f32_1024x64x4096_batch64_autodiff",
        "closed_form_ntk_f32_1024x64x4096",
        "closed_form_ntk_f64_1024x64x4096",
        "empirical_ntk_depth1_f32",
        "empirical_ntk_depth3_f32",
        "seeds_8_batched",
        "seeds_8_separate_processes",
        "seeds_8_separate_processes_autodiff",
    ] {
        assert!(names.contains(&expected), "no task {expected} in {names:?}");
    }
    for task in tasks {
        let seconds = task["seconds"].as_f64().unwrap();
        assert!(seconds.is_finite() && seconds > 0.0, "{task}");
        if let Some(ratio) = task["bound_ratio"].as_f64() {
            let bound = task["bound_seconds"].as_f64().unwrap();
            assert!((ratio - seconds / bound).abs() <= 1e-9 * ratio, "{task}");
        }
    }
    let sparse = tasks
        .iter()
        .find(|t| t["name"] == "gd_step_two_layer_f32_1024x64x4096_bias-3")
        .unwrap();
    assert_eq!(
        sparse["note"], "fused, sparse last layer",
        "bias −3 takes the sparse path"
    );
    let seeds = tasks
        .iter()
        .find(|t| t["name"] == "seeds_8_batched")
        .unwrap();
    assert!(
        seeds["note"]
            .as_str()
            .unwrap()
            .ends_with("identical outputs"),
        "{seeds}"
    );
}
