//! What a sweep's measurements say, with no Burn in sight: the statistics (medians, least
//! squares, the bootstrap, the normal CDF), the critical-width analysis of
//! `overparam analyze critical-width`, the figures of `overparam plot` and the reports of
//! `overparam reproduce`. It reads the files `overparam-sweep` describes.

pub mod critical_width;
pub mod plot;
pub mod report;
pub mod stats;
