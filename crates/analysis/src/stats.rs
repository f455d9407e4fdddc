//! The statistics every analysis shares: the median, least-squares lines and power laws, the
//! bootstrap over seeds and its quantiles, and the standard normal CDF.

mod bootstrap;
mod fit;
mod median;
mod normal;

pub use bootstrap::{bootstrap, quantile};
pub use fit::{least_squares_line, loglog_fit, Line, PowerLaw};
pub use median::median;
pub use normal::normal_cdf;
