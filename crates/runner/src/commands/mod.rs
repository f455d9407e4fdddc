//! One module per subcommand.

mod common;
pub mod gradcheck;
pub mod ntk;
pub mod train;
