//! Numbers as a report prints them.

/// A number for a report: 3 significant digits, scientific when small or large.
pub fn number(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else if (1e-3..1e4).contains(&value.abs()) {
        let digits = (2 - value.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{value:.digits$}")
    } else {
        format!("{value:.2e}")
    }
}
