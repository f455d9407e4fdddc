//! One module per subcommand.

mod common;
pub mod ntk;
pub mod train;
