//! One module per subcommand.

pub mod backends;
mod common;
pub mod gradcheck;
pub mod ntk;
pub mod train;
