//! End to end: `overparam backends` in any build.

mod common;

use common::{overparam, stderr};

#[test]
fn backends_lists_every_backend_with_its_build_status() {
    let output = overparam(&["backends", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = reports.as_array().unwrap();
    let names: Vec<&str> = reports
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["flex", "ndarray", "wgpu", "cuda"]);
    for report in &reports[..2] {
        assert_eq!(report["built"], true);
        assert_eq!(
            report["dtypes"],
            serde_json::json!(["f32", "f64"]),
            "{report}"
        );
        assert!(
            report["device"].as_str().unwrap().starts_with("CPU"),
            "{report}"
        );
    }
    assert_eq!(reports[2]["built"], cfg!(feature = "wgpu"));
    assert_eq!(reports[3]["built"], cfg!(feature = "cuda"));
    let table = overparam(&["backends"]);
    assert!(table.status.success());
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.lines().count() == 5 && table.contains("flex"),
        "{table}"
    );
}
