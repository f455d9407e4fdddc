//! One module per subcommand.

pub mod analyze;
pub mod backends;
pub mod bench;
pub(crate) mod common;
pub mod gradcheck;
pub mod hessian;
pub mod ntk;
pub mod plot;
pub mod reproduce;
pub mod sweep;
pub mod train;
